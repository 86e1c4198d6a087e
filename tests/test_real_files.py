"""Only real files are read from what learners hand in (run/real_files.py): no link is followed,
no pipe is waited on, and a file swapped for something else after the batch found it is told,
not read. Real files in tmp_path; no notebook runs."""

from __future__ import annotations

import os
import socket

import pytest
from keras_course.course.config import load_course
from keras_course.course.errors import CourseError
from keras_course.course.paths import SOLUTIONS
from keras_course.grade.jobs import grade_job
from keras_course.grade.layouts import find_submissions
from keras_course.grade.result_store import ResultStore, sha256_of
from keras_course.grade.settings import Settings
from keras_course.run.real_files import read_real
from keras_course.run.sandbox_provisioner import copy_data_files

LINK = "a symbolic link: only regular files are graded"
FIFO = "a named pipe (FIFO), not a file"
HARD = "a hard link (this file has 2 names): only files with one name are graded"


def test_a_regular_file_with_one_name_is_read_and_nothing_else_is(tmp_path, monkeypatch):
    real = tmp_path / "real.ipynb"
    real.write_bytes(b"{}")
    (tmp_path / "link.ipynb").symlink_to(real)
    (tmp_path / "folder-link").symlink_to(tmp_path)
    os.mkfifo(tmp_path / "pipe.ipynb")  # read with O_NONBLOCK: a pipe nobody writes must not hang
    os.link(tmp_path / "real.ipynb", tmp_path / "other-name.ipynb")
    lonely = tmp_path / "lonely.ipynb"
    lonely.write_bytes(b"[]")
    sock = socket.socket(socket.AF_UNIX)
    monkeypatch.chdir(tmp_path)  # a socket's path is short: bind it by its name here
    sock.bind("sock.ipynb")

    assert read_real(lonely) == b"[]"
    for name, reason in [
        ("link.ipynb", LINK),
        ("folder-link", LINK),
        ("pipe.ipynb", FIFO),
        ("real.ipynb", HARD),
        ("sock.ipynb", "a socket, not a file"),
        (".", "a folder, not a file"),
    ]:
        with pytest.raises(CourseError) as told:
            read_real(tmp_path / name)
        assert str(told.value) == f"{tmp_path / name}: {reason}"
    sock.close()


def test_a_notebook_swapped_for_a_link_after_discovery_is_an_error_result_naming_it(tmp_path):
    """The batch found ann's regular file; by the time it is read, it is a link to the course's
    solution: no digest, not read, and a one-line error result that names the file."""
    folder = tmp_path / "batch"
    notebook = folder / "ann" / "build_as_shown.ipynb"
    notebook.parent.mkdir(parents=True)
    notebook.write_bytes((SOLUTIONS / "build_as_shown.ipynb").read_bytes())
    course = load_course()
    (job,) = find_submissions(folder, course).jobs

    notebook.unlink()
    notebook.symlink_to(SOLUTIONS / "build_as_shown.ipynb")

    assert sha256_of(notebook) == ""
    result = grade_job(job, Settings(timeout=60))
    assert (result.score, result.error) == (0, f"{notebook}: {LINK}")
    store = ResultStore(tmp_path / "results", course)
    store.save(result, sha256_of(notebook))
    assert store.load("ann", "build_as_shown", notebook) is None  # no digest: graded again next time


def test_a_kernels_data_files_are_copied_only_from_real_files(tmp_path):
    """nbgrader's kernels start in the learner's folder: its data files are copied into the run
    folder (copy_data_files), but not through a link, a pipe or a second name of another file."""
    source, target, secret = tmp_path / "learner", tmp_path / "run", tmp_path / "heldout.csv"
    source.mkdir()
    target.mkdir()
    secret.write_text("x,y\n1,2\n")
    (source / "darts.csv").write_text("a,b\n3,4\n")
    (source / "link.csv").symlink_to(secret)
    (source / "relative.csv").symlink_to("../heldout.csv")
    (source / "folder").symlink_to(tmp_path)
    os.mkfifo(source / "pipe.csv")
    os.link(secret, source / "hard.csv")
    (source / "work.ipynb").write_text("{}")

    copy_data_files(source, target)

    assert sorted(p.name for p in target.iterdir()) == ["darts.csv"]
    assert (target / "darts.csv").read_text() == "a,b\n3,4\n"
