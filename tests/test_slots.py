"""Each run of a warm slot is alone (grade/slots.py): an honest notebook graded right after a
hostile one in the same slot gets the result it gets alone in a fresh slot, and finds nothing.

tests/hostile/slots/ holds the hostile cells (its README says what each leaves behind) and the
honest cell that looks for all of it. One batch with one slot (--jobs 1) grades each hostile
notebook followed by the honest one; the honest notebook is also graded alone, in a batch of
its own. Then no slot folder, cgroup or process of the batches is left.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import nbformat
import pytest
from keras_course.course.paths import SOLUTIONS
from keras_course.grade.batch import grade_folder
from keras_course.grade.settings import Settings
from keras_course.grade.slots import SLOT_PREFIX
from keras_course.run.cgroups import PREFIX as CGROUP_PREFIX
from keras_course.run.cgroups import _parents
from keras_course.run.leftovers import owner_tag
from keras_course.run.sandbox import unavailable

pytestmark = [
    pytest.mark.notebook,
    pytest.mark.skipif(unavailable() is not None, reason=f"no sandbox here: {unavailable()}"),
]

CELLS = Path(__file__).resolve().parent / "hostile" / "slots"
HOSTILE = sorted(p.stem for p in CELLS.glob("*.py") if p.stem != "honest")


def notebook(cell: str) -> nbformat.NotebookNode:
    """The hello_nets reference with the cell of tests/hostile/slots/<cell>.py before its
    closing check() cell."""
    nb = nbformat.read(SOLUTIONS / "hello_nets.ipynb", as_version=4)
    source = (CELLS / f"{cell}.py").read_text(encoding="utf-8")
    nb.cells.insert(len(nb.cells) - 1, nbformat.v4.new_code_cell(source))
    return nb


def hand_in(folder: Path, learner: str, cell: str) -> None:
    (folder / learner).mkdir(parents=True)
    nbformat.write(notebook(cell), folder / learner / "hello_nets.ipynb")


def as_json(result: object) -> str:
    """A result as the reports write it, whoever's it is."""
    return json.dumps({**dataclasses.asdict(result), "learner": ""}, sort_keys=True)


def graded(folder: Path) -> dict[str, object]:
    results = grade_folder(
        folder, Settings(sandbox="required"), jobs_at_once=1, results_dir=folder / ".results"
    )
    return {r.learner: r for r in results if r.exercise == "hello_nets"}


def ours(names: list[str]) -> list[str]:
    """The names that a folder of this process's (its tag) starts with."""
    return [name for name in names if owner_tag() in name]


def test_an_honest_notebook_after_each_hostile_one_gets_the_result_it_gets_alone(tmp_path):
    alone = graded(_batch(tmp_path / "alone", ["honest"]))["0_honest"]
    assert alone.score == alone.max_score and not alone.cell_errors, as_json(alone)
    batch = _batch(tmp_path / "batch", [c for cell in HOSTILE for c in (cell, "honest")])
    results = graded(batch)
    for learner, result in sorted(results.items()):
        if learner.endswith("_honest"):
            assert as_json(result) == as_json(alone), (learner, result.cell_errors, result.error)
        else:  # what a hostile notebook does is its own business: its verdict is the honest one
            assert (result.error, result.cell_errors, result.score) == (None, [], result.max_score), learner
    slots = ours([p.name for p in Path(os.environ.get("TMPDIR", "/tmp")).glob(SLOT_PREFIX + "*")])
    groups = ours([p.name for parent in _parents() for p in parent.glob(CGROUP_PREFIX + "*")])
    assert (slots, groups) == ([], []), "the batch left slot folders or cgroups behind"


def _batch(folder: Path, cells: list[str]) -> Path:
    """A submissions folder with one learner per cell, named so that they are graded in order."""
    for number, cell in enumerate(cells):
        hand_in(folder, f"{number}_{cell}" if len(cells) < 10 else f"{number:02d}_{cell}", cell)
    return folder
