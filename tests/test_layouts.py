"""Which notebooks a batch grades, whose they are, and what it leaves out and why: the layouts
that keras_course/grade/layouts.py describes, as file trees in tmp_path, without running a notebook."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from keras_course.course.config import load_course
from keras_course.course.errors import CourseError
from keras_course.course.paths import SOLUTIONS
from keras_course.grade.layouts import Job, exercise_named, exercise_of_file, find_submissions

COURSE = load_course()


def notebook(path: Path, exercise: str | None = None, text: str | None = None) -> Path:
    """A small notebook file, with `metadata.keras_course.exercise` when exercise is given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"keras_course": {"exercise": exercise}} if exercise else {}
    cell = {
        "cell_type": "code",
        "id": "c",
        "metadata": {},
        "source": "x = 1",
        "outputs": [],
        "execution_count": None,
    }
    nb = {"cells": [cell], "metadata": meta, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb) if text is None else text, encoding="utf-8")
    return path


def found_in(folder: Path):
    found = find_submissions(folder, COURSE)
    jobs = {(j.learner, j.exercise): j.notebook.relative_to(found.folder).as_posix() for j in found.jobs}
    skipped = {s.path.relative_to(found.folder).as_posix(): s.reason for s in found.skipped}
    return found, jobs, skipped


@pytest.mark.parametrize(
    ("filename", "exercise"),
    [
        ("hello_nets.ipynb", "hello_nets"),
        ("Hello_Nets.ipynb", "hello_nets"),
        ("hello_nets-Copy1.ipynb", "hello_nets"),
        ("Copy of darts.ipynb", "darts"),
        ("darts (1).ipynb", "darts"),
        ("darts-2.ipynb", "darts"),  # Canvas's name for a resubmitted file
        ("darts copy.ipynb", "darts"),
        ("Copy of Hello Nets (2).ipynb", "hello_nets"),
        ("counting-parameters.ipynb", "counting_parameters"),
        ("scratch.ipynb", None),
        ("darts_and_more.ipynb", None),
        ("Untitled.ipynb", None),
    ],
)
def test_a_notebooks_name_names_its_exercise_once_copying_is_undone(filename, exercise):
    assert exercise_named(filename, COURSE.exercises) == exercise


def test_the_metadata_names_the_exercise_before_the_file_name(tmp_path):
    assert exercise_of_file(notebook(tmp_path / "Untitled.ipynb", "darts"), COURSE) == "darts"
    assert exercise_of_file(notebook(tmp_path / "hello_nets.ipynb", "darts"), COURSE) == "darts"
    assert exercise_of_file(notebook(tmp_path / "Hello_Nets (1).ipynb"), COURSE) == "hello_nets"
    broken = notebook(tmp_path / "hello_nets-Copy1.ipynb", text="{not json")  # grading says what is wrong
    assert exercise_of_file(broken, COURSE) == "hello_nets"
    with pytest.raises(CourseError, match="its metadata names the exercise 'mnist', which this course"):
        exercise_of_file(notebook(tmp_path / "darts.ipynb", "mnist"), COURSE)
    with pytest.raises(CourseError, match="not one of the exercises: its metadata names none"):
        exercise_of_file(notebook(tmp_path / "scratch.ipynb"), COURSE)


def test_canvas_flat_download_maps_each_file_to_its_learner(tmp_path):
    """Canvas's file names: <name>_[LATE_]<user id>_<attachment id>_<file name>."""
    folder = tmp_path / "canvas"
    notebook(folder / "smithjane_12345_678901_Hello_Nets.ipynb")
    notebook(folder / "smithjane_12345_678902_Untitled.ipynb", "darts")
    notebook(folder / "doejohn_LATE_23456_678903_hello_nets-Copy1.ipynb")
    notebook(folder / "anon_Xy7Q2_678904_counting_parameters.ipynb")
    notebook(folder / "LATE_anon_Ab3Cd_678905_counting_parameters-1.ipynb")
    (folder / "doejohn_LATE_23456_678906_notes.txt").write_text("my notes")
    notebook(folder / "hello_nets.ipynb")  # at the top, named as no LMS names it

    found, jobs, skipped = found_in(folder)

    assert jobs == {
        ("12345", "hello_nets"): "smithjane_12345_678901_Hello_Nets.ipynb",
        ("12345", "darts"): "smithjane_12345_678902_Untitled.ipynb",
        ("23456", "hello_nets"): "doejohn_LATE_23456_678903_hello_nets-Copy1.ipynb",
        ("anon_Xy7Q2", "counting_parameters"): "anon_Xy7Q2_678904_counting_parameters.ipynb",
        ("anon_Ab3Cd", "counting_parameters"): "LATE_anon_Ab3Cd_678905_counting_parameters-1.ipynb",
    }
    assert found.names == {
        "12345": "smithjane",
        "23456": "doejohn",
        "anon_Xy7Q2": "anon_Xy7Q2",
        "anon_Ab3Cd": "anon_Ab3Cd",
    }
    assert skipped == {
        "doejohn_LATE_23456_678906_notes.txt": "not a notebook (.ipynb)",
        "hello_nets.ipynb": "not in a learner's folder, and not named as Canvas or Moodle name what they "
        "collect: put each learner's notebooks in a folder of their own",
    }


def test_moodle_download_in_folders_and_flat_maps_each_file_to_its_learner(tmp_path):
    """Moodle's names: <Full Name>_<participant id>_assignsubmission_<plugin>_[/]<file name>."""
    folder = tmp_path / "moodle"
    notebook(folder / "Jane Smith_111_assignsubmission_file_" / "Copy of hello_nets.ipynb")
    notebook(folder / "Jane Smith_111_assignsubmission_file_" / "work" / "Untitled.ipynb", "darts")
    (folder / "Jane Smith_111_assignsubmission_onlinetext_").mkdir()
    (folder / "Jane Smith_111_assignsubmission_onlinetext_" / "onlinetext.html").write_text("<p>done</p>")
    notebook(folder / "Zoë Núñez_222_assignsubmission_file_hello_nets (1).ipynb")  # "in folders" off
    (folder / "Empty Hand_333_assignsubmission_file_").mkdir()

    found, jobs, skipped = found_in(folder)

    assert jobs == {
        ("111", "hello_nets"): "Jane Smith_111_assignsubmission_file_/Copy of hello_nets.ipynb",
        ("111", "darts"): "Jane Smith_111_assignsubmission_file_/work/Untitled.ipynb",
        ("222", "hello_nets"): "Zoë Núñez_222_assignsubmission_file_hello_nets (1).ipynb",
    }
    assert found.names == {"111": "Jane Smith", "222": "Zoë Núñez", "333": "Empty Hand"}
    assert skipped == {
        "Jane Smith_111_assignsubmission_onlinetext_/onlinetext.html": "not a notebook (.ipynb)"
    }


def test_nbgrader_and_plain_folders_grade_renamed_copies_and_say_what_they_leave_out(tmp_path):
    folder = tmp_path / "submitted"
    notebook(folder / "ann" / "introducing_keras" / "Hello_Nets.ipynb")
    (folder / "ann" / "introducing_keras" / "timestamp.txt").write_text("2025-01-01 10:00:00")
    (folder / "ann" / "binary_classification").mkdir()
    (folder / "ann" / "binary_classification" / "banknotes.csv").write_text("a,b\n1,2\n")
    notebook(folder / "ann" / "introducing_keras" / ".ipynb_checkpoints" / "hello_nets-checkpoint.ipynb")
    notebook(folder / "bob" / "hello_nets-Copy1.ipynb")
    notebook(folder / "bob" / "scratch.ipynb")
    notebook(folder / "bob" / "mnist.ipynb", "mnist")
    (folder / "bob" / "answers.py").write_text("model = None")
    (folder / "cy").mkdir()  # a learner who handed in nothing
    notebook(folder / "__MACOSX" / "bob" / "._hello_nets.ipynb", text="\x00\x05")
    (folder / ".DS_Store").write_bytes(b"\x00")

    found, jobs, skipped = found_in(folder)

    assert jobs == {
        ("ann", "hello_nets"): "ann/introducing_keras/Hello_Nets.ipynb",
        ("bob", "hello_nets"): "bob/hello_nets-Copy1.ipynb",
    }
    assert sorted(found.names) == ["ann", "bob", "cy"]
    assert set(skipped) == {"bob/scratch.ipynb", "bob/mnist.ipynb", "bob/answers.py"}
    assert skipped["bob/answers.py"] == "not a notebook (.ipynb)"
    assert skipped["bob/mnist.ipynb"].startswith("its metadata names the exercise 'mnist'")
    assert skipped["bob/scratch.ipynb"].startswith("not one of the exercises")
    assert found.expected == 2  # timestamp.txt, banknotes.csv


def test_of_two_notebooks_for_one_exercise_the_exactly_named_one_is_graded(tmp_path):
    folder = tmp_path / "batch"
    exact = notebook(folder / "ann" / "darts.ipynb")
    copy = notebook(folder / "ann" / "Copy of darts.ipynb")
    older = notebook(folder / "bob" / "darts (1).ipynb")
    newer = notebook(folder / "bob" / "darts-Copy1.ipynb")
    os.utime(exact, (1, 1))  # the exact name wins even when older
    os.utime(older, (1, 1))

    found, jobs, skipped = found_in(folder)

    assert jobs == {("ann", "darts"): "ann/darts.ipynb", ("bob", "darts"): "bob/darts-Copy1.ipynb"}
    assert skipped == {
        "ann/Copy of darts.ipynb": f"another notebook of learner ann for darts is graded: {exact.resolve()}",
        "bob/darts (1).ipynb": f"another notebook of learner bob for darts is graded: {newer.resolve()}",
    }
    assert copy.exists()


def test_jobs_carry_absolute_paths_whatever_folder_was_given(tmp_path, monkeypatch):
    """The grading processes run elsewhere, and a batch ends a killed grader's kernel by a token
    made from the notebook's path: the same absolute path in both."""
    notebook(tmp_path / "batch" / "ann" / "hello_nets.ipynb")
    monkeypatch.chdir(tmp_path)
    found = find_submissions(Path("batch"), COURSE)
    assert found.jobs == [Job("ann", "hello_nets", tmp_path.resolve() / "batch" / "ann" / "hello_nets.ipynb")]


def test_a_missing_folder_or_a_file_is_told(tmp_path):
    with pytest.raises(CourseError, match="no such folder"):
        find_submissions(tmp_path / "nope", COURSE)
    with pytest.raises(CourseError, match="not a folder of learners' submissions"):
        find_submissions(notebook(tmp_path / "darts.ipynb"), COURSE)


def test_links_pipes_and_hard_links_are_not_graded_and_each_is_told(tmp_path):
    """Seen in folders made by git clone or unzip: alice's notebook a link to the course's
    solution (it got 4/4), mallory's a link to bob's (it got bob's score). Only regular files
    with one name are graded; the honest learners beside them are graded as usual."""
    folder, elsewhere = tmp_path / "batch", tmp_path / "elsewhere"
    notebook(folder / "bob" / "hello_nets.ipynb")
    notebook(folder / "cy" / "counting_parameters.ipynb")
    (folder / "alice").mkdir()
    (folder / "alice" / "build_as_shown.ipynb").symlink_to(SOLUTIONS / "build_as_shown.ipynb")
    (folder / "mallory").mkdir()
    (folder / "mallory" / "hello_nets.ipynb").symlink_to("../bob/hello_nets.ipynb")
    (folder / "eve").symlink_to("bob")  # a learner's folder that is a link
    (folder / "dan" / "work").mkdir(parents=True)
    (folder / "dan" / "solutions").symlink_to(SOLUTIONS)  # a folder below a learner's, absolute
    notebook(elsewhere / "hello_nets.ipynb")
    os.link(elsewhere / "hello_nets.ipynb", folder / "dan" / "work" / "hello_nets.ipynb")
    os.mkfifo(folder / "cy" / "darts.ipynb")
    (folder / "smithjane_12345_678901_darts.ipynb").symlink_to(SOLUTIONS / "darts.ipynb")  # Canvas's
    os.mkfifo(folder / "doejohn_23456_678902_darts.ipynb")

    found, jobs, skipped = found_in(folder)

    assert jobs == {
        ("bob", "hello_nets"): "bob/hello_nets.ipynb",
        ("cy", "counting_parameters"): "cy/counting_parameters.ipynb",
    }
    learners = ["12345", "23456", "alice", "bob", "cy", "dan", "eve", "mallory"]
    assert sorted(found.names) == learners  # each gets "not submitted" for what was not graded
    link = "a symbolic link: only regular files are graded"
    hard = "a hard link (this file has 2 names): only files with one name are graded"
    assert skipped == {
        "alice/build_as_shown.ipynb": link,
        "mallory/hello_nets.ipynb": link,
        "eve": link,
        "dan/solutions": link,
        "dan/work/hello_nets.ipynb": hard,
        "cy/darts.ipynb": "a named pipe (FIFO), not a file",
        "smithjane_12345_678901_darts.ipynb": link,
        "doejohn_23456_678902_darts.ipynb": "a named pipe (FIFO), not a file",
    }


# Gradescope's "Export Submissions", in the shape public tools read (grade/gradescope_export.py):
# Ruby symbols as keys, a group with two submitters, a numeric SID, a submission with none, and
# the timestamps and results that the file also holds.
GRADESCOPE_METADATA = """\
submission_409194023:
  :submitters:
  - :name: Jane Smith
    :sid: '12345'
    :email: jane@example.edu
  :created_at: 2026-04-26 17:34:00.861687000 Z
  :score: 4.0
  :results:
    score: 4.0
    output: |-
      Total: 4/4
submission_500000001:
  :submitters:
  - :name: Alice A
    :sid: '111'
    :email: alice@example.edu
  - :name: Bob B
    :email: bob@example.edu
  :created_at: 2026-04-27 09:00:00.000000000 Z
  :score: 2.0
submission_600000002:
  :submitters:
  - :sid: 333
  :score: 0.0
submission_700000003:
  :submitters: []
"""


def gradescope_export(folder: Path) -> Path:
    """An unzipped export: assignment_<id>_export/ with a folder per submission."""
    export = folder / "assignment_8046601_export"
    notebook(export / "submission_409194023" / "hello_nets.ipynb")
    (export / "submission_409194023" / "notes.txt").write_text("my notes")
    notebook(export / "submission_500000001" / "Copy of hello_nets.ipynb")
    notebook(export / "submission_500000001" / "work" / "Untitled.ipynb", "darts")
    notebook(export / "submission_600000002" / "counting_parameters.ipynb")
    notebook(export / "submission_700000003" / "build_as_shown.ipynb")
    notebook(export / "submission_800000004" / "hello_nets.ipynb")  # a folder the metadata does not list
    (export / "submission_metadata.yml").write_text(GRADESCOPE_METADATA)
    return export


@pytest.mark.parametrize("given", ["export", "the folder it was unzipped into"])
def test_gradescope_export_maps_each_submission_to_its_submitters(tmp_path, given):
    """The learner id is the SID, else the email, else the folder; a group's notebooks are each
    member's; a folder the metadata does not list is a learner's folder, named as it is."""
    export = gradescope_export(tmp_path)
    found, jobs, skipped = found_in(export if given == "export" else tmp_path)
    inside = "" if given == "export" else "assignment_8046601_export/"

    assert jobs == {
        ("12345", "hello_nets"): f"{inside}submission_409194023/hello_nets.ipynb",
        ("111", "hello_nets"): f"{inside}submission_500000001/Copy of hello_nets.ipynb",
        ("bob@example.edu", "hello_nets"): f"{inside}submission_500000001/Copy of hello_nets.ipynb",
        ("111", "darts"): f"{inside}submission_500000001/work/Untitled.ipynb",
        ("bob@example.edu", "darts"): f"{inside}submission_500000001/work/Untitled.ipynb",
        ("333", "counting_parameters"): f"{inside}submission_600000002/counting_parameters.ipynb",
        ("submission_700000003", "build_as_shown"): f"{inside}submission_700000003/build_as_shown.ipynb",
        ("submission_800000004", "hello_nets"): f"{inside}submission_800000004/hello_nets.ipynb",
    }
    assert found.names == {
        "12345": "Jane Smith",
        "111": "Alice A",
        "bob@example.edu": "Bob B",
        "333": "333",
        "submission_700000003": "submission_700000003",
        "submission_800000004": "submission_800000004",
    }
    assert skipped == {f"{inside}submission_409194023/notes.txt": "not a notebook (.ipynb)"}
    assert found.expected == 1  # the metadata file


def test_a_gradescope_export_whose_metadata_is_broken_is_told_in_one_line(tmp_path):
    export = gradescope_export(tmp_path)
    metadata = export / "submission_metadata.yml"
    for text, why in [
        ("submission_1: [unclosed", "not valid YAML"),
        ("- submission_1\n", "not Gradescope's submission metadata"),
        ("submission_1:\n  :score: 2.0\n", "submission_1 has no list of :submitters"),
    ]:
        metadata.write_text(text)
        with pytest.raises(CourseError, match=f"^{metadata}: {why}") as raised:
            find_submissions(export, COURSE)
        assert "\n" not in str(raised.value)
    metadata.unlink()
    metadata.symlink_to(tmp_path / "elsewhere.yml")
    (tmp_path / "elsewhere.yml").write_text(GRADESCOPE_METADATA)
    with pytest.raises(CourseError, match="a symbolic link"):
        find_submissions(export, COURSE)
