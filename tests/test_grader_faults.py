"""A fault of the grading machinery is one notebook's grader error, never the end of the batch:
the reports are written, the exit code says so (3), and --resume grades that notebook again. A
stored result counts only while the graders' code is the same, with the score of its checks.

The faults are real ones, in a copy of the course (graders/ and course.toml), which the command
imports instead of this one (PYTHONPATH): its hello_nets grader crashes pytest's collection, its
conftest.py writes bob's result file as something that is not JSON, and a fixture of it fails for
cy. The notebooks are cheap
(counting_parameters without Keras: hidden_layer_params = 20 scores 2 of 6, as in
test_batch_resume.py), graded without the sandbox, so that no kernel imports TensorFlow.

What `grade` prints is its own: no Python warning, not even for the notebooks without cell ids
that older Jupyter versions save, which nbformat warns about; and no traceback where a notebook
left a folder tree 3,000 deep in its slot's run folder, which Python's shutil.rmtree cannot
remove (the sandboxed batch then warns about its clean-up, or cleans it, and reports).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import xmlschema
from keras_course.course.paths import COURSE_TOML, DATASETS, GRADERS, ROOT, SOLUTIONS
from keras_course.grade.result_store import RESULTS_DIR

pytestmark = pytest.mark.notebook
CLI = [sys.executable, "-m", "keras_course"]
JUNIT_XSD = Path(__file__).resolve().parent / "junit.xsd"
GRADER_FAILED = "the grader failed on this notebook; it will be graded again"
BROKEN = '''

@pytest.fixture(autouse=True)
def broken_setup(request):
    """cy's run cannot be set up: a fixture of the grader fails."""
    if request.config.getoption("--learner") == "cy":
        raise OSError("a broken set-up")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    """bob's result file, written last, is not JSON: a grading process with a broken output."""
    if session.config.getoption("--learner") == "bob":
        with open(session.config.getoption("--grade-json"), "w") as out:
            out.write("{not json")
'''


def copy_course(folder: Path) -> Path:
    """A course of its own: graders/ (the keras_course package in it) and course.toml copied."""
    shutil.copytree(GRADERS, folder / "graders", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(COURSE_TOML, folder)
    (folder / "datasets").symlink_to(DATASETS)
    return folder


DEEP_TREE = (
    "import os\n"
    "here = os.getcwd()\n"
    "for _ in range(3000):\n"
    "    os.mkdir('d')\n"
    "    os.chdir('d')\n"
    "os.chdir(here)\n"
)


def cheap_notebook(minor: int = 5, before: str = "") -> str:
    """counting_parameters without Keras (2 of 6 points), in nbformat 4.minor, without cell ids."""
    source = before + "hidden_layer_params = 20"
    cell = {"cell_type": "code", "metadata": {}, "source": source, "outputs": []}
    cell["execution_count"] = None
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = {"cells": [cell], "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": minor}
    return json.dumps(nb)


def hand_in(batch: Path, learner: str, exercise: str, text: str) -> None:
    (batch / learner).mkdir(parents=True, exist_ok=True)
    (batch / learner / f"{exercise}.ipynb").write_text(text, encoding="utf-8")


def grade(
    course: Path, batch: Path, *options: object, sandbox: str = "off", **env: str
) -> subprocess.CompletedProcess:
    """`keras-course grade` of the copied course (its package first on the path), env added."""
    env = dict(os.environ, PYTHONPATH=str(course / "graders"), **env)
    args = [*CLI, "grade", batch, "--sandbox", sandbox, "--timeout", "60", "--jobs", "2", *options]
    return subprocess.run(args, capture_output=True, text=True, cwd=course, env=env, timeout=300)


def graded_lines(out: subprocess.CompletedProcess) -> list[str]:
    return sorted(line.split(":")[0] for line in out.stderr.splitlines() if line.startswith("graded "))


def results_of(report: Path) -> dict[tuple[str, str], dict]:
    results = json.loads(report.read_text(encoding="utf-8"))["results"]
    return {(r["learner"], r["exercise"]): r for r in results if r["error"] != "not submitted"}


def stored(batch: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in sorted((batch / RESULTS_DIR).glob("*/*.json"))}


def test_a_grader_fault_is_that_notebooks_grader_error_and_resume_grades_it_again(tmp_path):
    course = copy_course(tmp_path / "course")
    hello = course / "graders" / "test_hello_nets.py"
    hello.write_text('raise RuntimeError("a broken grader")\n' + hello.read_text(encoding="utf-8"))
    with open(course / "graders" / "conftest.py", "a", encoding="utf-8") as conftest:
        conftest.write("\nimport pytest\n" + BROKEN)
    batch = tmp_path / "batch"
    hand_in(batch, "ann", "hello_nets", (SOLUTIONS / "hello_nets.ipynb").read_text(encoding="utf-8"))
    hand_in(batch, "ann", "counting_parameters", cheap_notebook())
    hand_in(batch, "bob", "counting_parameters", cheap_notebook())
    hand_in(batch, "cy", "counting_parameters", cheap_notebook())
    reports = ["--json", tmp_path / "results.json", "--csv", tmp_path / "grades.csv"]

    first = grade(course, batch, *reports, "--junit", tmp_path / "junit.xml")

    assert first.returncode == 3, first.stderr[-3000:]
    assert "Traceback" not in first.stderr
    results = results_of(tmp_path / "results.json")
    for failed in (("ann", "hello_nets"), ("bob", "counting_parameters"), ("cy", "counting_parameters")):
        assert results[failed]["error"].startswith(GRADER_FAILED), results[failed]
        assert (results[failed]["grader_error"], results[failed]["score"]) == (True, 0)
    fine = results[("ann", "counting_parameters")]
    assert (fine["error"], fine["grader_error"], fine["score"]) == (None, False, 2)
    rows = (tmp_path / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert rows[2:] == ["ann,ann,,2,,,,,,", "bob,bob,,,,,,,,", "cy,cy,,,,,,,,"]  # no grade yet
    junit = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    xmlschema.XMLSchema(JUNIT_XSD).validate(junit)
    assert junit.count('type="grader-error"') == 3
    kept = stored(batch)
    failed_counting = ("bob/counting_parameters", "cy/counting_parameters")

    again = grade(course, batch, "--resume", *reports)

    assert again.returncode == 3, again.stderr[-3000:]
    assert graded_lines(again) == [f"graded {who}" for who in ("ann/hello_nets", *failed_counting)]
    assert {p: t for p, t in stored(batch).items() if "ann/counting" in str(p)} == {
        p: t for p, t in kept.items() if "ann/counting" in str(p)
    }


def test_resume_keeps_a_result_only_from_the_same_graders_with_the_score_of_its_checks(tmp_path):
    course = copy_course(tmp_path / "course")
    batch = tmp_path / "batch"
    hand_in(batch, "ann", "counting_parameters", cheap_notebook())
    report = tmp_path / "results.json"
    assert grade(course, batch).returncode == 0
    (path,) = stored(batch)
    record = json.loads(path.read_text(encoding="utf-8"))
    record["result"]["score"] = 6  # a hand-edited score: the checks say 2
    path.write_text(json.dumps(record), encoding="utf-8")

    edited = grade(course, batch, "--resume", "--json", report)

    assert (edited.returncode, graded_lines(edited)) == (0, [])
    assert results_of(report)[("ann", "counting_parameters")]["score"] == 2
    with open(course / "graders" / "test_darts.py", "a", encoding="utf-8") as other:
        other.write("# another exercise's grader changed\n")
    assert graded_lines(grade(course, batch, "--resume")) == []
    with open(course / "graders" / "test_counting_parameters.py", "a", encoding="utf-8") as grader:
        grader.write("# this exercise's grader changed\n")

    changed = grade(course, batch, "--resume", "--json", report)

    assert (changed.returncode, graded_lines(changed)) == (0, ["graded ann/counting_parameters"])
    assert results_of(report)[("ann", "counting_parameters")]["score"] == 2
    (tmp_path / "a file").touch()
    unwritable = tmp_path / "a file" / "results.json"

    reported = grade(course, batch, "--resume", "--json", unwritable, "--csv", tmp_path / "grades.csv")

    assert reported.returncode == 2 and (tmp_path / "grades.csv").is_file()  # the others are written
    assert reported.stderr.splitlines()[-1].startswith(f"keras-course: error: cannot write {unwritable} (")


def test_grade_prints_only_its_own_lines_and_its_reports_whatever_the_notebooks_leave(tmp_path):
    """nbformat 4.4 as older Jupyter versions save it, and 4.5 as some tools save it, without
    ids; bob's notebook leaves a tree 3,000 deep. Sandboxed, in one warm slot (--jobs 1)."""
    batch = tmp_path / "batch"
    hand_in(batch, "ann", "counting_parameters", cheap_notebook(minor=4))
    hand_in(batch, "bob", "counting_parameters", cheap_notebook(minor=5, before=DEEP_TREE))

    temporary = Path(tempfile.mkdtemp(prefix="kc-"))  # the slots' folders: short, for their sockets
    report = ["--json", tmp_path / "results.json"]
    try:
        out = grade(ROOT, batch, "--jobs", "1", *report, sandbox="required", TMPDIR=str(temporary))
        left = sorted(path.name for path in temporary.iterdir())
    finally:  # what the batch left, if it left anything
        subprocess.run(["rm", "-rf", str(temporary)], check=True)

    assert out.returncode == 0, out.stderr[-3000:]
    assert left == [], "the batch left folders behind"
    assert graded_lines(out) == ["graded ann/counting_parameters", "graded bob/counting_parameters"]
    assert [line for line in out.stderr.splitlines() if not line.startswith("graded ")] == []
    assert [r["score"] for r in results_of(tmp_path / "results.json").values()] == [2, 2]
