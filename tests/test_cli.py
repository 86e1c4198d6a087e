"""The keras-course command's contract: list, check, grade, exit codes and report files."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from keras_course.paths import GRADERS, ROOT, SOLUTIONS
from mistakes import MISTAKES

CLI = [sys.executable, "-m", "keras_course"]


def run(*args, cwd=ROOT):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_list_prints_ids_titles_and_points():
    out = run("list")
    assert out.returncode == 0
    assert "darts" in out.stdout and "12 pts" in out.stdout and "A dart-throwing competition" in out.stdout


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("hello_nets.ipynb", None, "no such file"),
        ("hello_nets.ipynb", "this is not json", "not a notebook (not valid JSON"),
        ("hello_nets.ipynb", '{"a": 1}', "not a notebook (JSON without 'cells'"),
        (
            "my_work.ipynb",
            '{"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
            "unknown exercise 'my_work'",
        ),
    ],
)
def test_check_rejects_bad_input_with_one_line_and_exit_2(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    out = run("check", path)
    assert out.returncode == 2
    assert out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1
    assert message in out.stderr
    if "unknown exercise" not in message:  # the other errors name the file
        assert str(path) in out.stderr


@pytest.mark.notebook
def test_check_json_on_a_solution_exits_0_with_the_contract_schema():
    out = run("check", SOLUTIONS / "hello_nets.ipynb", "--json")
    assert out.returncode == 0, out.stderr
    (result,) = json.loads(out.stdout)["results"]
    assert set(result) >= {"learner", "exercise", "score", "max_score", "error", "checks"}
    assert result["score"] == result["max_score"] == 4
    for check in result["checks"]:
        assert set(check) == {"name", "passed", "points", "max_points", "feedback"}


@pytest.mark.notebook
def test_check_shows_the_checklist_and_exits_1_on_a_mistake(tmp_path):
    variant = next(m for m in MISTAKES if (m.exercise, m.name) == ("hello_nets", "sigmoid_hidden"))
    notebook = tmp_path / "attempt.ipynb"
    notebook.write_text(variant.apply((SOLUTIONS / "hello_nets.ipynb").read_text()))
    out = run("check", notebook, "--exercise", "hello_nets")
    assert out.returncode == 1
    assert "✓ layers [1/1]" in out.stdout
    assert "✗ activations [0/1] Layer 1 should have activation='relu'" in out.stdout
    assert "Total: 3/4" in out.stdout
    assert "tensorflow" not in (out.stdout + out.stderr).lower()


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
