"""The sandbox's settings and fallbacks: what runs where bwrap is missing, what --resume regrades,
and that the reference solutions score the same with the sandbox and without it.

The hostile notebooks that try to get out of the sandbox are in test_hostile.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from keras_course.course.config import load_course
from keras_course.course.paths import ROOT, SOLUTIONS
from keras_course.grade.result_store import ResultStore, sha256_of
from keras_course.report.results import CheckResult, Result
from keras_course.run.sandbox import RunFolder, wrap

CLI = [sys.executable, "-m", "keras_course"]
# The model checks (hello_nets, counting_parameters) and a trained model judged on held-out data
# (dollar_bills); test_nbgrader.py grades every quick reference solution in the sandbox too.
QUICK = ["hello_nets", "counting_parameters", "dollar_bills"]


def path_without_bwrap(tmp_path: Path) -> str:
    """A PATH with every program of the bwrap's folder but bwrap, and the environment's bin."""
    bwrap = shutil.which("bwrap")
    assert bwrap is not None, "bubblewrap is installed by `make install`"
    hidden = tmp_path / "bin"
    hidden.mkdir()
    for program in Path(bwrap).parent.iterdir():
        if program.name != "bwrap":
            (hidden / program.name).symlink_to(program)
    return os.pathsep.join([str(Path(sys.executable).parent), str(hidden)])


@pytest.mark.notebook
def test_without_bwrap_check_runs_unisolated_and_grade_refuses(tmp_path):
    env = dict(os.environ, PATH=path_without_bwrap(tmp_path))
    notebook = tmp_path / "hello_nets.ipynb"
    shutil.copy(SOLUTIONS / "hello_nets.ipynb", notebook)

    check = subprocess.run([*CLI, "check", notebook], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert check.returncode == 0, check.stderr[-2000:]
    first = check.stdout.splitlines()[0]
    assert first == "Note: this run was not isolated (no sandbox), so it is a practice check only."
    assert "Total: 4/4" in check.stdout

    folder = tmp_path / "batch" / "ann"
    folder.mkdir(parents=True)
    shutil.copy(notebook, folder)
    grade = subprocess.run(
        [*CLI, "grade", folder.parent], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert grade.returncode == 2
    assert grade.stdout == ""
    (line,) = grade.stderr.splitlines()
    assert "bubblewrap (bwrap) is not installed" in line
    assert "apt-get install bubblewrap" in line and "--sandbox off" in line
    assert not (folder.parent / ".keras-course-results").exists(), "nothing is graded"


def test_resume_regrades_results_graded_with_weaker_isolation(tmp_path):
    course = load_course()
    notebook = tmp_path / "hello_nets.ipynb"
    shutil.copy(SOLUTIONS / "hello_nets.ipynb", notebook)
    graded = {}
    points = course.exercise("hello_nets").checks
    checks = [CheckResult(name, True, p, p, "") for name, p in points.items()]
    for isolation in ("none", "sandbox"):
        result = Result("ann", "hello_nets", 4.0, 4.0, None, checks, isolation=isolation)
        store = ResultStore(tmp_path / isolation, course, isolation=isolation)
        store.save(result, sha256_of(notebook))
        graded[isolation] = tmp_path / isolation

    def kept(stored: str, asked: str) -> bool:
        store = ResultStore(graded[stored], course, isolation=asked)
        return store.load("ann", "hello_nets", notebook) is not None

    assert kept("none", "none") and kept("sandbox", "sandbox") and kept("sandbox", "none")
    assert not kept("none", "sandbox")


def grade_references(folder: Path, exercises: list[str], mode: str) -> dict:
    learner = folder / mode / "reference"
    learner.mkdir(parents=True)
    for exercise in exercises:
        shutil.copy(SOLUTIONS / f"{exercise}.ipynb", learner)
    report = folder / f"{mode}.json"
    out = subprocess.run(
        [*CLI, "grade", learner.parent, "--json", report, "--sandbox", mode, "--jobs", "2"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    results = json.loads(report.read_text(encoding="utf-8"))["results"]
    return {r["exercise"]: r for r in results if r["error"] != "not submitted"}


def same_verdicts(exercises: list[str], tmp_path: Path) -> None:
    """The same results with the sandbox and without, isolation aside. The sandboxed batch's
    kernels are forked from its slots' fork servers (warm, run/forkserver.py), the others start
    cold: this is also the proof that warm kernels give the verdicts of cold ones."""
    off = grade_references(tmp_path, exercises, "off")
    required = grade_references(tmp_path, exercises, "required")
    assert {r["isolation"] for r in off.values()} == {"none"}
    assert {r["isolation"] for r in required.values()} == {"sandbox"}
    for exercise in exercises:
        assert required[exercise]["score"] == required[exercise]["max_score"], required[exercise]
        for result in (off[exercise], required[exercise]):
            del result["isolation"]
        assert required[exercise] == off[exercise]


@pytest.mark.notebook
def test_reference_solutions_score_the_same_with_and_without_the_sandbox(tmp_path):
    same_verdicts(QUICK, tmp_path)


@pytest.mark.training
def test_trained_reference_solutions_score_the_same_with_and_without_the_sandbox(tmp_path):
    same_verdicts(["darts", "irrigation"], tmp_path)


def test_a_sandboxed_program_reads_the_system_files_it_needs_and_nothing_is_printed(tmp_path):
    """Fontconfig (loaded by TensorFlow's and matplotlib's dependencies) finds its settings, and
    the Python environment and keras_course import as the grader's uid: a learner's notebook
    shows no error it did not cause."""
    box = tmp_path / "box"
    RunFolder(tmp_path).make(sandboxed=True)
    code = (
        "import ctypes, os, sys, keras_course; "
        "assert ctypes.CDLL('libfontconfig.so.1').FcInit() == 1; "
        f"print(os.getuid(), os.path.exists({str(ROOT / 'course.toml')!r}), os.path.exists('/home'))"
    )
    command = wrap([sys.executable, "-c", code], box, box / "work")
    env = {"PATH": os.environ["PATH"], "HOME": str(box / "home")}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.split() == ["65534", "False", "False"]  # not the course, not the homes
