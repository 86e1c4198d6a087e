"""`keras-course grade` end to end on submissions as Canvas and Moodle deliver them: renamed,
prefixed files, a roster exported from the LMS, and the gradebook in its import format.

To stay cheap, most notebooks only set hidden_layer_params (no Keras, a few seconds each); the
Canvas batch also holds the reference hello_nets, so that one real model is graded this way.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from keras_course.course.paths import ROOT, SOLUTIONS

pytestmark = pytest.mark.notebook
CLI = [sys.executable, "-m", "keras_course"]


def counting_parameters(path: Path, value: int, metadata: bool = False) -> None:
    """A notebook that sets hidden_layer_params only: 2 points when it is 20, else 0."""
    cell = {"cell_type": "code", "id": "c", "metadata": {}, "outputs": [], "execution_count": None}
    meta = {"keras_course": {"exercise": "counting_parameters"}} if metadata else {}
    nb = {"cells": [{**cell, "source": f"hidden_layer_params = {value}"}], "metadata": meta}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**nb, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")


def grade_for(
    lms: str, folder: Path, roster: str, not_graded: Path
) -> tuple[list[list[str]], subprocess.CompletedProcess]:
    """Grade folder with this roster into lms's import format: the rows of the file it wrote,
    and the command's outcome. The one file that is not a notebook must be named in a warning."""
    (folder.parent / "roster.csv").write_text(roster, encoding="utf-8")
    gradebook = folder.parent / f"{lms}.csv"
    args = [folder, "--jobs", "2", "--timeout", "120", "--roster", folder.parent / "roster.csv"]
    out = subprocess.run(
        [*CLI, "grade", *args, "--lms", lms, "--csv", gradebook], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert f"keras-course: warning: {not_graded}: not graded: not a notebook (.ipynb)" in out.stderr
    with gradebook.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle)), out


def test_a_canvas_download_is_graded_into_canvas_gradebook_import(tmp_path):
    """Links, a named pipe and a hard link among the files, as an unzip can make them, are not
    graded: each is named in a warning with the reason, and the others are graded as usual."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    hello = (SOLUTIONS / "hello_nets.ipynb").read_text(encoding="utf-8")
    (folder / "smithjane_12345_678901_Hello_Nets.ipynb").write_text(hello, encoding="utf-8")
    counting_parameters(folder / "doejohn_LATE_23456_678902_counting_parameters-1.ipynb", 20)
    notes = folder / "doejohn_LATE_23456_678903_notes.txt"
    notes.write_text("my notes", encoding="utf-8")
    solution = folder / "roerita_34567_678904_hello_nets.ipynb"
    solution.symlink_to(SOLUTIONS / "hello_nets.ipynb")
    janes = folder / "roerita_34567_678905_Hello_Nets.ipynb"
    janes.symlink_to("smithjane_12345_678901_Hello_Nets.ipynb")
    pipe = folder / "roerita_34567_678906_counting_parameters.ipynb"
    os.mkfifo(pipe)
    counting_parameters(tmp_path / "elsewhere.ipynb", 20)
    hard = folder / "roerita_34567_678907_counting_parameters-1.ipynb"
    os.link(tmp_path / "elsewhere.ipynb", hard)
    export = (  # Canvas's gradebook export
        "Student,ID,SIS User ID,SIS Login ID,Section\n"
        "    Points Possible,,,,\n"
        '"Smith, Jane",12345,S-1,jsmith,A\n"Doe, John",23456,S-2,jdoe,A\n"Roe, Rita",34567,S-3,rroe,B\n'
    )

    rows, out = grade_for("canvas", folder, export, notes)

    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "introducing_keras"],
        ["Points Possible", "", "", "", "", "14"],
        ["Smith, Jane", "12345", "S-1", "jsmith", "A", "4"],
        ["Doe, John", "23456", "S-2", "jdoe", "A", "2"],
        ["Roe, Rita", "34567", "S-3", "rroe", "B", ""],
    ]
    assert "Smith, Jane" in out.stdout and "(- : not submitted)" in out.stdout
    link = "a symbolic link: only regular files are graded"
    warnings = [line for line in out.stderr.splitlines() if line.startswith("keras-course: warning:")]
    assert warnings == [
        f"keras-course: warning: {notes}: not graded: not a notebook (.ipynb)",
        f"keras-course: warning: {solution}: not graded: {link}",
        f"keras-course: warning: {janes}: not graded: {link}",
        f"keras-course: warning: {pipe}: not graded: a named pipe (FIFO), not a file",
        f"keras-course: warning: {hard}: not graded: a hard link (this file has 2 names): only files "
        "with one name are graded",
    ]


def test_a_moodle_download_is_graded_into_moodle_grade_import(tmp_path):
    folder = tmp_path / "submissions"
    jane, john = "Jane Smith_111_assignsubmission_", "John Doe_222_assignsubmission_"
    counting_parameters(folder / f"{jane}file_" / "Copy of counting_parameters.ipynb", 20)
    counting_parameters(folder / f"{john}file_" / "Untitled.ipynb", 15, metadata=True)
    online = folder / f"{john}onlinetext_" / "onlinetext.html"
    online.parent.mkdir()
    online.write_text("<p>I am done</p>", encoding="utf-8")
    worksheet = (  # Moodle's grading worksheet of the assignment
        "Identifier,Full name,Email address,Status,Grade\n"
        "Participant 111,Jane Smith,jane@example.org,Submitted,\n"
        "Participant 222,John Doe,john@example.org,Submitted,\n"
    )

    rows, _ = grade_for("moodle", folder, worksheet, online)

    assert rows == [
        ["Full name", "Email address", "introducing_keras"],
        ["Jane Smith", "jane@example.org", "2"],
        ["John Doe", "john@example.org", "0"],
    ]
