"""The keras-course command's contract: list, check, grade, exit codes and report files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from html_checks import page_problems, text_of
from keras_course.course.config import load_course
from keras_course.course.paths import EXERCISES, GRADERS, ROOT, SOLUTIONS
from mistakes import MISTAKES

CLI = [sys.executable, "-m", "keras_course"]
COURSE = load_course()


HOSTILE_SLOTS = Path(__file__).resolve().parent / "hostile" / "slots"


def run(*args, cwd=ROOT, env=None):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env)


def test_list_prints_ids_titles_and_points():
    out = run("list")
    assert out.returncode == 0
    assert "darts" in out.stdout and "12 pts" in out.stdout and "A dart-throwing competition" in out.stdout


EMPTY_NOTEBOOK = '{"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}'
FOLDER = object()  # make a folder at the path


@pytest.mark.parametrize(
    ("name", "content", "options", "message"),
    [
        ("nope", None, (), "nope: no such file"),
        ("hello_nets.ipynb", None, ("--exercise", "hello_nets"), "hello_nets.ipynb: no such file"),
        ("hello_nets.ipynb", FOLDER, (), "hello_nets.ipynb: is a folder, not a notebook"),
        ("hello_nets.ipynb", "", (), "hello_nets.ipynb: is empty, not a notebook"),
        (
            "hello_nets.ipynb",
            " \n",
            ("--exercise", "hello_nets"),
            "hello_nets.ipynb: is empty, not a notebook",
        ),
        ("hello_nets.py", "model = None\n", (), "hello_nets.py: not a notebook (a .py file, not valid JSON"),
        ("hello_nets.ipynb", "this is not json", (), "not a notebook (not valid JSON"),
        ("hello_nets.ipynb", '{"a": 1}', (), "not a notebook (JSON without 'cells'"),
        (
            "my_work.ipynb",
            EMPTY_NOTEBOOK,
            (),
            "my_work.ipynb: not one of the exercises: its metadata names none",
        ),
        ("my_work.ipynb", EMPTY_NOTEBOOK, ("--exercise", "mnist"), "unknown exercise 'mnist'"),
        ("hello_nets.ipynb", EMPTY_NOTEBOOK, (), "hello_nets.ipynb: the notebook has no code to run"),
    ],
)
def test_check_rejects_bad_input_with_one_line_and_exit_2(tmp_path, name, content, options, message):
    path = tmp_path / name
    if content is FOLDER:
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    out = run("check", path, *options)
    assert out.returncode == 2
    assert out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1
    assert message in out.stderr
    if "unknown exercise" not in message:  # the other errors name the file
        assert str(path) in out.stderr


def test_check_of_a_notebook_for_another_exercise_says_so(tmp_path):
    """A copy of the darts stub saved as hello_nets.ipynb is darts (its metadata); checked as
    hello_nets, it is refused before any kernel starts."""
    notebook = tmp_path / "hello_nets.ipynb"
    notebook.write_text((EXERCISES / "darts.ipynb").read_text(encoding="utf-8"), encoding="utf-8")
    out = run("check", notebook, "--exercise", "hello_nets")
    assert out.returncode == 2
    assert "this notebook is for the exercise 'darts', not 'hello_nets'" in out.stderr


def test_grade_of_a_folder_with_nothing_to_grade_lists_every_file_and_exits_2(tmp_path):
    folder = tmp_path / "batch"
    (folder / "ann").mkdir(parents=True)
    (folder / "ann" / "scratch.ipynb").write_text(EMPTY_NOTEBOOK)
    (folder / "ann" / "answers.py").write_text("model = None")
    (folder / "darts.ipynb").write_text(EMPTY_NOTEBOOK)
    (folder / "ann" / "timestamp.txt").write_text("2025-01-01 10:00:00")  # nbgrader's: counted only
    out = run("grade", folder)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 5
    assert lines[3].startswith(
        "keras-course: note: 1 file(s) beside the notebooks not graded, as expected (hidden"
    )
    assert lines[0].startswith(
        f"keras-course: warning: {folder / 'ann' / 'answers.py'}: not graded: not a notebook"
    )
    assert lines[1].startswith(
        f"keras-course: warning: {folder / 'ann' / 'scratch.ipynb'}: not graded: not one of"
    )
    assert lines[2].startswith(
        f"keras-course: warning: {folder / 'darts.ipynb'}: not graded: not in a learner's folder"
    )
    nothing = f"{folder}: no notebook of the course's exercises to grade; 3 files not graded, see above"
    assert lines[4] == f"keras-course: error: {nothing}"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--lms", "canvas"), "--lms canvas writes the --csv file in its format: give --csv FILE"),
        (
            ("--lms", "moodle", "--csv", "out.csv"),
            "--lms moodle: Moodle's grade import finds learners by email",
        ),
        (("--roster", "nope.csv"), "nope.csv: no such file"),
    ],
)
def test_grade_refuses_report_options_it_cannot_honour_before_grading(tmp_path, options, message):
    (tmp_path / "batch" / "ann").mkdir(parents=True)
    (tmp_path / "batch" / "ann" / "hello_nets.ipynb").write_text(EMPTY_NOTEBOOK)
    out = run("grade", tmp_path / "batch", *options, cwd=tmp_path)
    assert out.returncode == 2
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith(f"keras-course: error: {message}")
    assert not (tmp_path / "batch" / ".keras-course-results").exists()


@pytest.mark.notebook
def test_check_json_on_a_solution_exits_0_with_the_contract_schema(tmp_path):
    """The solution, with a cell that leaves a tree 2,100 deep in its working folder (deeper
    than shutil.rmtree can remove, its paths past PATH_MAX; tests/hostile/slots/deep_tree.py):
    the run folder goes with the run all the same."""
    nb = nbformat.read(SOLUTIONS / "hello_nets.ipynb", as_version=4)
    deep = (HOSTILE_SLOTS / "deep_tree.py").read_text(encoding="utf-8")
    deep = deep.replace("range(3000)", "range(2100)").replace('(".", "/tmp")', '(".",)')
    assert "range(2100)" in deep and '(".",)' in deep
    nb.cells.insert(len(nb.cells) - 1, nbformat.v4.new_code_cell(deep))
    nbformat.write(nb, tmp_path / "hello_nets.ipynb")
    with tempfile.TemporaryDirectory(prefix="kc-") as tmp:  # short: ZeroMQ's socket paths are
        out = run("check", tmp_path / "hello_nets.ipynb", "--json", env={**os.environ, "TMPDIR": tmp})
        assert out.returncode == 0, out.stderr
        assert list(Path(tmp).iterdir()) == [], "the run left its folder behind"
    (result,) = json.loads(out.stdout)["results"]
    assert set(result) >= {"learner", "exercise", "score", "max_score", "error", "checks"}
    assert result["score"] == result["max_score"] == 4
    for check in result["checks"]:
        assert set(check) == {"name", "passed", "points", "max_points", "feedback", "pending", "measured"}
        assert check["pending"] is False  # the repository has the held-out data (README: --json)
        assert check["measured"] == ""  # what a failed check found; a passed one says it in its feedback


@pytest.mark.notebook
def test_check_shows_the_checklist_and_exits_1_on_a_mistake(tmp_path):
    variant = next(m for m in MISTAKES if (m.exercise, m.name) == ("hello_nets", "sigmoid_hidden"))
    notebook = tmp_path / "attempt.ipynb"
    notebook.write_text(variant.apply((SOLUTIONS / "hello_nets.ipynb").read_text()))
    out = run("check", notebook, "--exercise", "hello_nets", "--html", tmp_path / "report.html")
    assert out.returncode == 1
    assert "✓ layers [1/1]" in out.stdout
    assert "✗ activations [0/1] Layer 1 should have activation='relu'" in out.stdout
    assert "Total: 3/4" in out.stdout
    assert "tensorflow" not in (out.stdout + out.stderr).lower()
    # --html: the same result as an HTML report, its model table drawn in the grading
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page_problems(html) == [] and f"wrote {tmp_path / 'report.html'}" in out.stdout
    assert "Failed: activations (0 of 1 point). Layer 1 should have activation='relu'" in text_of(html)
    assert '<td class="differs">sigmoid <span class="flag">differs</span></td>' in html


@pytest.mark.notebook
def test_plain_pytest_grades_a_submission():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(GRADERS / "test_build_as_shown.py"),
            f"--submission={SOLUTIONS / 'build_as_shown.ipynb'}",
            "-p",
            "no:cacheprovider",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout[-2000:]
    assert "4 passed" in out.stdout and "Total: 4/4" in out.stdout


def test_start_writes_every_exercise_and_its_data_files(tmp_path):
    folder = tmp_path / "my course"
    out = run("start", folder, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    for exercise_id in COURSE.exercises:
        assert (folder / f"{exercise_id}.ipynb").read_bytes() == (
            EXERCISES / f"{exercise_id}.ipynb"
        ).read_bytes()
    names = {name for exercise in COURSE.exercises.values() for name in exercise.data}
    assert {p.name for p in folder.iterdir()} == names | {f"{i}.ipynb" for i in COURSE.exercises}
    assert f"wrote {folder / 'darts.ipynb'}" in out.stdout.splitlines()


def test_start_keeps_the_learners_notebooks_unless_forced(tmp_path):
    assert run("start", tmp_path).returncode == 0
    mine = tmp_path / "darts.ipynb"
    mine.write_text("my work", encoding="utf-8")
    out = run("start", tmp_path)
    assert out.returncode == 2
    (line,) = out.stderr.splitlines()
    assert line.startswith("keras-course: error: ") and "already there; pass --force" in line
    assert mine.read_text(encoding="utf-8") == "my work"
    assert run("start", tmp_path, "--force").returncode == 0
    assert mine.read_bytes() == (EXERCISES / "darts.ipynb").read_bytes()


def test_start_into_a_file_is_a_one_line_error(tmp_path):
    (tmp_path / "taken").write_text("", encoding="utf-8")
    out = run("start", tmp_path / "taken")
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        f"keras-course: error: {tmp_path / 'taken'}: is a file, not a folder to write the exercises into"
    ]
