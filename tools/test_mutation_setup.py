"""`make mutate` is wired to the grading logic and the fast tests, checked without running mutmut.

pyproject.toml [tool.mutmut] names the files mutmut mutates (below src/, which `make mutate`
links to graders/) and the tests it runs against each mutant; the Makefile runs it outside
`make test`.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys

import mutation_score
import nbformat
import pytest
import run_here
from keras_course.course.config import tomllib
from keras_course.course.paths import GRADERS, ROOT, SOLUTIONS

MUTMUT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
GRADING_LOGIC = {
    "keras_course/checks/shared.py",
    "keras_course/checks/metrics.py",
    "keras_course/artifacts/saved_model.py",
} | {path.name for path in GRADERS.glob("test_*.py")}


def test_mutmut_mutates_exactly_the_grading_logic():
    assert MUTMUT["source_paths"] == ["src"]
    sources = [path.relative_to(GRADERS).as_posix() for path in GRADERS.rglob("*.py")]
    mutated = {s for s in sources if any(fnmatch.fnmatch(f"src/{s}", p) for p in MUTMUT["only_mutate"])}
    assert mutated == GRADING_LOGIC


# Collects mutmut's tests in a fresh process, the way its fork server does after importing Keras,
# and prints what it collected and how many threads the process had before and after.
COLLECT_IN_A_FRESH_PROCESS = """
import json, os, sys, pytest, keras

class Collected:
    items = []

    def pytest_collection_finish(self, session):
        self.items = [
            {"file": i.path.name, "name": i.name, "markers": sorted({m.name for m in i.iter_markers()})}
            for i in session.items
        ]

threads = lambda: len(os.listdir("/proc/self/task"))
before = threads()
collected = Collected()
code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider"] + sys.argv[1:], plugins=[collected])
print(json.dumps({"code": code, "threads": [before, threads()], "items": collected.items}))
"""


# The fast tests of the grading logic, cheapest first (tests/conftest.py orders them so under mutmut).
CHEAPEST_FIRST = [
    "test_saved_model.py",
    "test_bounds.py",
    "test_values.py",
    "test_verdicts.py",
    "test_grading.py",
]


@pytest.fixture(scope="module")
def collection() -> dict:
    run = subprocess.run(
        [sys.executable, "-c", COLLECT_IN_A_FRESH_PROCESS, *MUTMUT["pytest_add_cli_args_test_selection"]],
        cwd=ROOT,
        env={**os.environ, "MUTANT_UNDER_TEST": "test_darts.x_test_layers__mutmut_1"},  # as in a mutant's run
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0 and run.stdout.strip(), run.stdout[-2000:] + run.stderr[-2000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["code"] == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return found


def test_mutmut_runs_the_fast_tests_of_the_grading_logic(collection):
    items = collection["items"]
    assert {item["file"] for item in items} == set(CHEAPEST_FIRST)
    assert [i for i in items if {"notebook", "training"} & set(i["markers"])] == []
    assert [i for i in items if "trains_long" in i["name"]] == []
    assert len(items) > 100


def test_a_mutants_tests_run_cheapest_first(collection):
    """mutmut stops a mutant's run at its first failing test: the tests that read a model, then
    those that grade set variables, then those that run notebooks."""
    files = [item["file"] for item in collection["items"]]
    assert files == sorted(files, key=CHEAPEST_FIRST.index)


def test_collecting_the_mutation_tests_starts_no_tensorflow_threads(collection):
    """mutmut's fork server collects the tests, then forks a child per mutant. A test module that
    runs TensorFlow at import (a Keras model built at module level) starts TensorFlow's thread
    pools in the server; a forked child has none of those threads and hangs on its first model,
    so every mutant ends as a timeout."""
    before, after = collection["threads"]
    assert after == before, f"collection started {after - before} threads"


def test_make_mutate_is_not_part_of_make_test():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^mutate: ", makefile, flags=re.MULTILINE)
    assert re.search(r"mutmut run --max-children [12]\b", makefile)
    assert "mutate" not in re.search(r"^test: (.*)$", makefile, flags=re.MULTILINE).group(1)


def test_mutate_more_goes_on_while_the_mutated_files_are_unchanged(tmp_path, monkeypatch):
    """`make mutate-more` compares this sum with the one `make mutate` wrote when it began."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(GRADERS, tmp_path / "graders", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(mutation_score, "ROOT", tmp_path)
    began = mutation_score.mutated_sum()
    with open(tmp_path / "graders" / "keras_course" / "grade" / "grading.py", "a") as not_mutated:
        not_mutated.write("# changed\n")
    assert mutation_score.mutated_sum() == began
    with open(tmp_path / "graders" / "test_darts.py", "a") as mutated:
        mutated.write("# changed\n")
    assert mutation_score.mutated_sum() != began


def test_under_mutmut_a_notebook_runs_once_and_each_grading_reads_its_export(tmp_path, monkeypatch):
    """The export cache of run_here.grade_here: the cells of a notebook text run the first time
    only, and a later grading of the same text reads the kept export to the same result."""
    monkeypatch.setenv("MUTANT_UNDER_TEST", "keras_course.checks.shared.x_expect_compile__mutmut_1")
    monkeypatch.setattr(run_here, "ROOT", tmp_path / "root")
    runs = tmp_path / "cell_runs.txt"
    notebook = nbformat.reads((SOLUTIONS / "hello_nets.ipynb").read_text(encoding="utf-8"), as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(f"open({str(runs)!r}, 'a').write('ran\\n')"))
    text = nbformat.writes(notebook)

    first = run_here.grade_here(text, "hello_nets", tmp_path / "first")
    again = run_here.grade_here(text, "hello_nets", tmp_path / "again")
    assert runs.read_text() == "ran\n"
    assert first.score == first.max_score
    assert [(c.name, c.points, c.feedback) for c in again.checks] == [
        (c.name, c.points, c.feedback) for c in first.checks
    ]
    other = run_here.grade_here(text.replace("relu", "sigmoid"), "hello_nets", tmp_path / "other")
    assert runs.read_text() == "ran\nran\n"
    assert other.score < first.score
