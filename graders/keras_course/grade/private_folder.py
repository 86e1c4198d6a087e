"""A folder that only this user can enter, made afresh: the Dask worker's spool and data.

A Dask worker keeps the notebooks it grades and the course's data files, the held-out sets
too, in a folder named after its nanny (dask_worker.dask_setup), so that a worker process the
nanny starts again after a crash finds what the killed one left, and ends it. A name known
beforehand can be taken first: a local user who made that folder would own it, and could read
or swap the notebooks and the held-out data in it. So before anything in it is used, ended or
removed, the folder must be this user's own folder (not a link) that nobody else may enter, in a
parent where nobody else can swap it for another (owned by this user or root, and sticky where
others may write, as /tmp is). Anything else is refused with a one-line CourseError. What a
killed worker left is then ended and removed, the folder made again with mode 0700, and removed
when the worker ends.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from keras_course.course.errors import CourseError
from keras_course.run.cleanup import remove_tree

WHY = "the Dask worker keeps the notebooks it grades only in a folder of its own"
HINT = "give the worker a --local-directory of its own"


def refusal(status: os.stat_result) -> str | None:
    """Why a folder with this status (lstat) is not this user's private folder; None if it is."""
    mode, me = status.st_mode, os.geteuid()
    if stat.S_ISLNK(mode):
        return "a symbolic link, not a folder"
    if not stat.S_ISDIR(mode):
        return "not a folder"
    if status.st_uid != me:
        return f"owned by the user {status.st_uid}, not by this worker's user ({me})"
    if mode & 0o077:
        return f"mode {stat.S_IMODE(mode):o}: other users may enter it"
    return None


def check_private(folder: Path) -> None:
    """CourseError, in one line, unless folder is this user's folder that nobody else may enter."""
    why = refusal(os.lstat(folder))
    if why is not None:
        raise CourseError(f"{folder}: {why}; {WHY}: remove it, or {HINT}")


def check_parent(parent: Path) -> None:
    """CourseError unless nobody but this user (or root) can rename or swap what is in parent."""
    status = os.stat(parent)  # following a link: the temporary folder may be one (macOS's /tmp)
    if status.st_uid not in (0, os.geteuid()):
        owner = f"owned by the user {status.st_uid}"
        raise CourseError(f"{parent}: {owner}, who could swap what is in it; {HINT}")
    if status.st_mode & 0o022 and not status.st_mode & stat.S_ISVTX:
        mode = f"{stat.S_IMODE(status.st_mode):o}"
        raise CourseError(f"{parent}: mode {mode}, others could swap what is in it; {HINT}")


def fresh_private_folder(folder: Path, leftovers: Callable[[Path], None]) -> Path:
    """folder, made afresh with mode 0700 in a parent that check_parent accepts. A folder there
    already is checked first (check_private), handed to leftovers (a killed worker's), then removed."""
    check_parent(folder.parent)
    if os.path.lexists(folder):
        check_private(folder)
        leftovers(folder)
        if not remove_tree(folder):
            raise CourseError(f"{folder}: what a killed worker left there cannot be removed; {HINT}")
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass  # made by someone else since: refused below
    check_private(folder)
    return folder
