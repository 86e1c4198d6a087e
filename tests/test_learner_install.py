"""A learner's machine: the wheel installed into a fresh virtual environment outside the
repository (learner_env.py), and used there as a learner uses it.

There, `keras-course start` writes the exercises; the reference answers pasted into the
cheap ones pass every check that can run (the checks on held-out data are pending); the
untouched stubs (two of them) score zero, with feedback; and no file of the installed package holds a
solution or a held-out row.
"""

from __future__ import annotations

import json
import re
import subprocess

import nbformat
import pytest
from keras_course.course.config import load_course
from keras_course.course.paths import SOLUTIONS
from keras_course.report.results import NOT_SUBMITTED
from keras_course.run.sandbox import unavailable
from leaks import leaks
from learner_env import Learner

pytestmark = pytest.mark.notebook

COURSE = load_course()
CHEAP = ("hello_nets", "counting_parameters", "build_as_shown", "dollar_bills")
UNTOUCHED = ("hello_nets", "dollar_bills")  # a stub without data files, and one with a held-out check
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


@pytest.fixture
def learner(learner_venv, tmp_path):
    return Learner(learner_venv.path(), tmp_path / "home")


def assert_no_solution_and_no_held_out_row(learner: Learner) -> None:
    """No file of the installed package holds a solution or a held-out row (leaks.py)."""
    site = learner.site_packages()
    files = {
        str(path.relative_to(site)): path.read_bytes()
        for folder in [site / "keras_course", *site.glob("keras_course-*.dist-info")]
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert "keras_course/material/course.toml" in files
    assert leaks(files) == []
    code = "from keras_course.course.paths import *; print(INSTALLED, HELDOUT.exists(), SOLUTIONS.exists())"
    out = learner.run("python", "-c", code)
    assert out.stdout.split() == ["True", "False", "False"], out.stderr


def with_answers(stub: nbformat.NotebookNode, exercise_id: str) -> nbformat.NotebookNode:
    """The stub with the reference answers pasted in: each answer cell of solutions/<id>.ipynb,
    its solution markers taken out, in place of the stub's cell of the same nbgrader grade_id."""
    solution = nbformat.read(SOLUTIONS / f"{exercise_id}.ipynb", as_version=4)
    answers = {
        cell.metadata["nbgrader"]["grade_id"]: "\n".join(
            line for line in cell.source.splitlines() if not MARKER.match(line)
        )
        for cell in solution.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }
    filled = nbformat.from_dict(stub)
    for cell in filled.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers.pop(grade_id)
    assert answers == {}, f"{exercise_id}: answer cells not in the stub: {sorted(answers)}"
    return filled


def test_a_learner_installs_starts_fills_in_and_checks_the_exercises(learner):
    """One test, so that one environment serves it all, wherever xdist runs it."""
    assert_no_solution_and_no_held_out_row(learner)
    listed = learner.run("keras-course", "list")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == list(COURSE.exercises)

    started = learner.run("keras-course", "start", "work")
    assert started.returncode == 0, started.stderr
    work = learner.home / "work"
    assert sorted(p.name for p in work.glob("*.ipynb")) == sorted(f"{i}.ipynb" for i in COURSE.exercises)

    batch = learner.home / "batch"
    for folder in (batch / "stub", batch / "reference", learner.home / "mine"):
        folder.mkdir(parents=True)
    for exercise_id in CHEAP:
        stub = nbformat.read(work / f"{exercise_id}.ipynb", as_version=4)
        if exercise_id in UNTOUCHED:
            nbformat.write(stub, batch / "stub" / f"{exercise_id}.ipynb")
        answered = "mine" if exercise_id == "dollar_bills" else "batch/reference"
        nbformat.write(with_answers(stub, exercise_id), learner.home / answered / f"{exercise_id}.ipynb")
    # the dollar bills answered, checked as a learner checks it, while the rest is graded
    checking = subprocess.Popen(
        [str(learner.venv / "bin" / "keras-course"), "check", "--sandbox", "auto", "mine/dollar_bills.ipynb"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=learner.home,
        env=learner.env(),
    )
    graded = learner.run(
        "keras-course", "grade", "batch", "--sandbox", "auto", "--jobs", "2", "--json", "results.json"
    )
    out, err = checking.communicate(timeout=300)
    assert graded.returncode == 0, graded.stderr

    sandboxed = unavailable() is None
    results = {
        (r["learner"], r["exercise"]): r
        for r in json.loads((learner.home / "results.json").read_text())["results"]
        if r["error"] != NOT_SUBMITTED
    }
    assert set(results) == {("stub", i) for i in UNTOUCHED} | {("reference", i) for i in CHEAP[:-1]}
    for exercise_id in UNTOUCHED:
        exercise = COURSE.exercise(exercise_id)
        stub = results[("stub", exercise_id)]
        assert stub["score"] == 0, stub
        assert all(c["feedback"] for c in stub["checks"])
        assert {c["name"] for c in stub["checks"] if c.get("pending")} == set(exercise.hidden)
        assert all("not filled in yet" in c["feedback"] for c in stub["checks"] if not c.get("pending"))
        assert stub["isolation"] == ("sandbox" if sandboxed else "none")
    for exercise_id in CHEAP[:-1]:
        reference = results[("reference", exercise_id)]
        assert reference["score"] == reference["max_score"], reference
        assert reference["error"] is None and reference["cell_errors"] == []

    # keras-course check exits 0: every check that runs here passes; the held-out one is pending
    assert checking.returncode == 0, out + err
    dollar = COURSE.exercise("dollar_bills")
    held = sum(dollar.checks[name] for name in dollar.hidden)
    assert out.splitlines()[-1] == (
        f"  Total: {dollar.max_score - held:g}/{dollar.max_score - held:g} of the checks that run here; "
        f"{held:g} more points are checked when you hand it in"
    )
