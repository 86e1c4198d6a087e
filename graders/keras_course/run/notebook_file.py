"""The notebook file: read whole, as a regular file of bounded size, validated and checked as an
exercise's submission, with one-line reasons (CourseError) for what cannot be one; and which of
its cells a graded run leaves out."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat

from keras_course.course.errors import CourseError
from keras_course.run.real_files import opened_real

MAX_NOTEBOOK_BYTES = 100 * 1024 * 1024  # the grader reads a notebook whole: larger is refused


def notebook_bytes(path: Path) -> bytes:
    """The bytes of the notebook at path, read only as a regular file with one name, not through
    a link (real_files.py), and of at most MAX_NOTEBOOK_BYTES; CourseError with the reason."""
    with opened_real(path) as handle:
        size = os.fstat(handle.fileno()).st_size >> 20
        if size > MAX_NOTEBOOK_BYTES >> 20:
            most = MAX_NOTEBOOK_BYTES >> 20
            raise CourseError(f"{path}: {size} MB, more than a notebook may be ({most} MB)")
        return handle.read()


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read and validate a notebook, or raise CourseError with a one-line reason."""
    if not os.path.lexists(path):
        raise CourseError(f"{path}: no such file")
    if path.is_dir() and not path.is_symlink():
        raise CourseError(f"{path}: is a folder, not a notebook")
    try:
        text = notebook_bytes(path).decode("utf-8")
        if not text.strip():
            raise CourseError(f"{path}: is empty, not a notebook")
        raw = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        kind = "" if path.suffix.lower() == ".ipynb" else f"a {path.suffix or 'plain'} file, "
        raise CourseError(f"{path}: not a notebook ({kind}not valid JSON: {exc})") from None
    if not isinstance(raw, dict) or "cells" not in raw or "nbformat" not in raw:
        raise CourseError(f"{path}: not a notebook (JSON without 'cells' and 'nbformat')")
    give_cell_ids(raw)
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several error types
        reason = str(exc).splitlines()[0]
        raise CourseError(f"{path}: not a valid notebook ({reason})") from None
    return nb


def give_cell_ids(raw: dict) -> None:
    """Ids for the cells of an nbformat 4.5 notebook saved without them, which nbformat would give
    them too, with a warning on stderr for each notebook (MissingIDFieldWarning)."""
    minor, cells = raw.get("nbformat_minor"), raw.get("cells")
    if raw.get("nbformat") == 4 and isinstance(minor, int) and minor >= 5 and isinstance(cells, list):
        for number, cell in enumerate(cells):
            if isinstance(cell, dict):
                cell.setdefault("id", f"keras-course-{number}")


def check_submission(nb: nbformat.NotebookNode, exercise_id: str, path: Path) -> None:
    """Raise CourseError, naming the file, when a notebook cannot be this exercise's submission."""
    meta = nb.metadata.get("keras_course")
    other = meta.get("exercise") if isinstance(meta, dict) else None
    if isinstance(other, str) and other != exercise_id:
        raise CourseError(f"{path}: this notebook is for the exercise '{other}', not '{exercise_id}'")
    if not any(c.cell_type == "code" and c.source.strip() for c in nb.cells):
        raise CourseError(f"{path}: the notebook has no code to run")


def read_submission(path: Path, exercise_id: str) -> nbformat.NotebookNode:
    """The notebook at path, read and checked, or CourseError with a one-line reason."""
    nb = read_notebook(path)
    check_submission(nb, exercise_id, path)
    return nb


def uses_keras(nb: nbformat.NotebookNode) -> bool:
    """Whether the notebook's code mentions Keras or TensorFlow (then the prelude seeds Keras)."""
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return "keras" in code or "tensorflow" in code


PREPARE_ID = "keras_course_prepare"  # grade_id of the nbgrader notebooks' seeding cell


def is_autograder_test(cell: nbformat.NotebookNode) -> bool:
    """A cell nbgrader's autograder runs for itself: a test cell (graded, not an answer), or the
    locked cell that prepares the kernel for them (the grader seeds the kernel on its own)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return (bool(meta.get("grade")) and not meta.get("solution")) or meta.get("grade_id") == PREPARE_ID


CHECK_HERE_ID = "check_here"  # grade_id of the exercises' closing `check()` cell


def is_check_here(cell: nbformat.NotebookNode) -> bool:
    """The closing cell that calls check() (in_notebook.py): a graded run leaves it out, as the
    grader checks the notebook itself (a check() without this cell does nothing: GRADING_ENV)."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == CHECK_HERE_ID
