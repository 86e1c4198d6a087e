"""The files of an export folder: copied out of the kernel's reach, then read only after checks.

The export ran in the learner's kernel, so nothing it wrote is trusted. First
`collect_export` copies it out of the folder the kernel could write: the kernel could have
swapped the export folder, or a file in it, for a link to somewhere else on the machine, which
the grader would then read with its own rights. Every step is opened relative to the folder
above it with O_NOFOLLOW, only plain files are copied, and their number and sizes are capped.
Each file is opened once, its size checked on that open file, and only that many bytes are
copied: a file the kernel makes grow meanwhile is copied as it was checked. The checks then read
the grader's own copy. A file must be named as
the export names files (no path), be a plain file right in the folder (no link, no device),
and hold no more bytes than the grader reads. An array's `.npy` header must declare exactly
the bytes that follow it, and no Python objects; NumPy then reads it with allow_pickle=False.
JSON and `.npy` are the only formats the grader parses: no zip, no HDF5.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from pathlib import Path
from typing import BinaryIO

import numpy as np

from keras_course.course.errors import CourseError

FILE_NAME = re.compile(r"[A-Za-z0-9_]+(\.[a-z]+)?")  # what the export names files: <variable>.npy
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
                    copy_checked(handle, out, info.st_size)
    finally:
        os.close(source_fd)


def copy_checked(source: BinaryIO, out: BinaryIO, size: int) -> None:
    """Copy at most size bytes, the size that was checked: what the file grew by since is left."""
    left = size
    while left > 0 and (block := source.read(min(left, 1 << 20))):
        out.write(block)
        left -= len(block)


def _open_no_link(path: str, flags: int) -> int:
    """os.open that follows no link and never waits on a pipe (where the system has the flags)."""
    return os.open(path, flags | NOFOLLOW | getattr(os, "O_NONBLOCK", 0))


def open_exported(artifacts: Path, filename: object, limit: int) -> BinaryIO:
    """A file the export wrote, open for reading, or CourseError: a plain file right in
    artifacts, at most limit bytes."""
    if not isinstance(filename, str) or not FILE_NAME.fullmatch(filename):
        raise CourseError(f"the export named a file {str(filename)[:60]!r}, not one of its own")
    path = artifacts / filename
    try:
        handle = open(path, "rb", opener=_open_no_link)
    except FileNotFoundError:
        raise CourseError(f"its file {filename} is missing") from None
    except OSError:  # a link, which O_NOFOLLOW refuses
        raise CourseError(f"its file {filename} is not a plain file") from None
    info = os.fstat(handle.fileno())
    problem = None
    if os.path.islink(path) or not stat.S_ISREG(info.st_mode):  # islink: where there is no O_NOFOLLOW
        problem = "is not a plain file"
    elif info.st_size > limit:
        problem = f"holds {info.st_size:,} bytes, more than the grader reads"
    if problem:
        handle.close()
        raise CourseError(f"its file {filename} {problem}")
    return handle


def read_json(artifacts: Path, filename: object, limit: int) -> object:
    """The JSON value of an exported file of at most limit bytes."""
    with open_exported(artifacts, filename, limit) as handle:
        try:
            return json.loads(handle.read(limit + 1).decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            raise CourseError(f"its file {filename} is not JSON ({_reason(exc)})") from None


def array_header(handle: BinaryIO) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype an open `.npy` file declares, once checked against the file's size."""
    fmt = np.lib.format
    name = Path(handle.name).name
    handle.seek(0)
    try:
        version = fmt.read_magic(handle)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"unknown .npy version {version}")
        reader = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        shape, _, dtype = reader(handle)
    except (ValueError, OSError, EOFError) as exc:
        raise CourseError(f"{name} is not a plain array ({_reason(exc)})") from None
    if dtype.hasobject:
        raise CourseError(f"{name} is not a plain array (it holds Python objects)")
    if math.prod(shape) * dtype.itemsize != os.fstat(handle.fileno()).st_size - handle.tell():
        raise CourseError(f"{name} is not a plain array (its header does not match its size)")
    return shape, dtype


def read_array(handle: BinaryIO) -> np.ndarray:
    """The array in an open `.npy` file, read after its header is checked, without pickles."""
    array_header(handle)
    handle.seek(0)
    try:
        return np.load(handle, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise CourseError(f"{Path(handle.name).name} is not a plain array ({_reason(exc)})") from None


def _reason(exc: Exception) -> str:
    """A parser's complaint in one short line."""
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
