"""Read what learners hand in only as the regular files they were found as.

A submissions folder made by `git clone` or `unzip` may hold links: a notebook that is a link to
the course's solution, or to another learner's notebook, would be graded as theirs. A named pipe
would make the grader wait forever. So every read of a learner's file goes through opened_real,
which guarantees that the bytes it gives are those of:

- a regular file (not a folder, a named pipe, a device or a socket),
- with one name (st_nlink == 1: not a hard link to a file elsewhere),
- opened without following a symbolic link (O_NOFOLLOW) and without waiting on a pipe or a device
  (O_NONBLOCK),

checked on the open file (fstat), so that what was checked is what is read, even when the file
was swapped for something else after the batch found it. A link in a folder above the file is
followed: the batch refuses those when it looks for submissions (grade/layouts.py).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from keras_course.course.errors import CourseError

LINK = "a symbolic link: only regular files are graded"
KINDS = {  # what a file that is not regular is, by its type's test in stat
    stat.S_ISLNK: LINK,
    stat.S_ISDIR: "a folder, not a file",
    stat.S_ISFIFO: "a named pipe (FIFO), not a file",
    stat.S_ISSOCK: "a socket, not a file",
    stat.S_ISCHR: "a device, not a file",
    stat.S_ISBLK: "a device, not a file",
}
FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def why_not_real(status: os.stat_result) -> str | None:
    """Why a file with this status (from lstat or fstat) is not read, in plain words; None for a
    regular file with one name."""
    for kind, reason in KINDS.items():
        if kind(status.st_mode):
            return reason
    if not stat.S_ISREG(status.st_mode):
        return "not a regular file"
    if status.st_nlink > 1:
        return f"a hard link (this file has {status.st_nlink} names): only files with one name are graded"
    return None


def not_real(path: Path) -> str | None:
    """Why the file at path (not following a link) is not read; None for a real file, or one
    that is not there (reading it then says so)."""
    try:
        return why_not_real(os.lstat(path))
    except OSError:
        return None


@contextmanager
def opened_real(path: Path) -> Iterator[BinaryIO]:
    """The file at path, open for reading in binary, when it is a regular file with one name;
    CourseError "PATH: REASON" otherwise. OSError as open() raises it (no such file, ...)."""
    try:
        fd = os.open(path, FLAGS)
    except OSError:  # a link (ELOOP), a socket (ENXIO): say what it is
        why = not_real(path)
        if why is None:
            raise
        raise CourseError(f"{path}: {why}") from None
    why = why_not_real(os.fstat(fd))
    if why is not None:
        os.close(fd)
        raise CourseError(f"{path}: {why}")
    with os.fdopen(fd, "rb") as handle:
        yield handle


def read_real(path: Path) -> bytes:
    """The bytes of the file at path, read as opened_real opens it."""
    with opened_real(path) as handle:
        return handle.read()
