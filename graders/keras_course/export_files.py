"""Copy what a kernel exported out of its run folder, following no link, before anything reads it.

The export folder lies in the folder the kernel could write, so the kernel could have swapped
it, or a file in it, for a link to somewhere else on the machine, which the grader would then
read with its own rights. Every step here is opened relative to the folder above it with
O_NOFOLLOW, only plain files are copied, and their number and sizes are capped. The checks
then read the grader's own copy.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from keras_course.config import CourseError

EXPORT_NAME = re.compile(r"export-[0-9a-f]{32}")
MAX_FILES = 1000
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def _open_folder(path: str, dir_fd: int | None = None) -> int:
    try:
        return os.open(path, os.O_RDONLY | DIRECTORY | NOFOLLOW, dir_fd=dir_fd)
    except OSError as exc:
        raise CourseError(f"the export folder {path} cannot be opened ({exc.strerror})") from None


def collect_export(box: Path, name: str, target: Path) -> None:
    """Copy the plain files of box/name into target (a new folder); CourseError if anything is odd."""
    if not EXPORT_NAME.fullmatch(name):
        raise CourseError(f"{name!r} is not the name of an export folder")
    box_fd = _open_folder(str(box))
    try:
        source_fd = _open_folder(name, dir_fd=box_fd)
    finally:
        os.close(box_fd)
    target.mkdir()
    total = 0
    try:
        names = os.listdir(source_fd)
        if len(names) > MAX_FILES:
            raise CourseError(f"the export holds {len(names)} files, more than {MAX_FILES}")
        for entry in sorted(names):
            try:
                fd = os.open(entry, os.O_RDONLY | NOFOLLOW | getattr(os, "O_NONBLOCK", 0), dir_fd=source_fd)
            except OSError:
                continue  # a link or something else that is not a plain file: not copied
            with os.fdopen(fd, "rb") as handle:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode):
                    continue
                total += info.st_size
                if info.st_size > MAX_FILE_BYTES or total > MAX_TOTAL_BYTES:
                    raise CourseError(f"the export's file {entry} makes it larger than the grader reads")
                with open(target / entry, "xb") as out:
                    while block := handle.read(1 << 20):
                        out.write(block)
    finally:
        os.close(source_fd)
