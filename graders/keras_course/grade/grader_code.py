"""The digest of the code that makes an exercise's verdicts, so that a verdict made by other code
is never taken for one made by today's: a stored result is kept by `--resume` (result_store.py),
and a Dask worker grades for its client (dask_worker.py), only while it is the same.

It covers the exercise's grader (graders/test_<id>.py), graders/conftest.py, and the modules of
keras_course that the graders run: plugin.py, checks/ and artifacts/. The exercise's settings
in course.toml are compared beside it, as data.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from keras_course.course.paths import GRADERS, PACKAGE, grader_file

VERDICT_MODULES = ("checks", "artifacts")  # folders of keras_course, beside plugin.py


def verdict_files(exercise_id: str) -> list[Path]:
    """The files whose code decides the exercise's verdicts, in a fixed order."""
    modules = [path for folder in VERDICT_MODULES for path in sorted((PACKAGE / folder).glob("*.py"))]
    return [grader_file(exercise_id), GRADERS / "conftest.py", PACKAGE / "plugin.py", *modules]


@cache  # a batch asks once per notebook; the code does not change under it
def code_digest(exercise_id: str) -> str:
    """The sha256 of the exercise's verdict files, each named by where it lies; a missing one
    counts as empty."""
    digest = hashlib.sha256()
    for path in verdict_files(exercise_id):
        digest.update(f"{path.parent.name}/{path.name}".encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"")
        digest.update(b"\0")
    return digest.hexdigest()
