"""The export folder of a run, copied out of the kernel's reach before anything reads it.

The export ran in the learner's kernel, so nothing it wrote is trusted: the kernel could have
swapped the export folder, or a file in it, for a link to somewhere else on the machine, which
the grader would then read with its own rights. `collect_export` opens every step relative to
the folder above it with O_NOFOLLOW, copies only plain files, and caps their number and sizes.
Each file is opened once, its size checked on that open file, and only that many bytes are
copied: a file the kernel makes grow meanwhile is copied as it was checked. What the copy holds
is then read by artifacts/export_files.py.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import BinaryIO

from keras_course.course.errors import ExportError

EXPORT_NAME = re.compile(r"export-[0-9a-f]{32}")  # the folder the export cell writes into
MAX_FILES = 1000
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def _open_folder(path: str, dir_fd: int | None = None) -> int:
    try:
        return os.open(path, os.O_RDONLY | DIRECTORY | NOFOLLOW, dir_fd=dir_fd)
    except OSError as exc:
        raise ExportError(f"the export folder {path} cannot be opened ({exc.strerror})") from None


def collect_export(box: Path, name: str, target: Path) -> None:
    """Copy the plain files of box/name into target (a new folder); ExportError if anything is odd."""
    if not EXPORT_NAME.fullmatch(name):
        raise ExportError(f"{name!r} is not the name of an export folder")
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
            raise ExportError(f"the export holds {len(names)} files, more than {MAX_FILES}")
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
                    raise ExportError(f"the export's file {entry} makes it larger than the grader reads")
                with open(target / entry, "xb") as out:
                    copy_checked(handle, out, info.st_size)
    finally:
        os.close(source_fd)


def copy_checked(source: BinaryIO, out: BinaryIO, size: int) -> None:
    """Copy at most size bytes, the size that was checked: what the file grew by since is left."""
    left = size
    while left > 0 and (block := source.read(min(left, 1 << 20))):
        out.write(block)
        left -= len(block)
