"""The files of an export folder, read only after checks, from the grader's own copy.

The export ran in the learner's kernel, so nothing it wrote is trusted. run/export_copy.py
copied it out of the kernel's reach; the checks read that copy. A file must be named as
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

from keras_course.course.errors import ExportError
from keras_course.run.export_copy import NOFOLLOW

FILE_NAME = re.compile(r"[A-Za-z0-9_]+(\.[a-z]+)?")  # what the export names files: <variable>.npy


def _open_no_link(path: str, flags: int) -> int:
    """os.open that follows no link and never waits on a pipe (where the system has the flags)."""
    return os.open(path, flags | NOFOLLOW | getattr(os, "O_NONBLOCK", 0))


def open_exported(artifacts: Path, filename: object, limit: int) -> BinaryIO:
    """A file the export wrote, open for reading, or ExportError: a plain file right in
    artifacts, at most limit bytes."""
    if not isinstance(filename, str) or not FILE_NAME.fullmatch(filename):
        raise ExportError(f"the export named a file {str(filename)[:60]!r}, not one of its own")
    path = artifacts / filename
    try:
        handle = open(path, "rb", opener=_open_no_link)
    except FileNotFoundError:
        raise ExportError(f"its file {filename} is missing") from None
    except OSError:  # a link, which O_NOFOLLOW refuses
        raise ExportError(f"its file {filename} is not a plain file") from None
    info = os.fstat(handle.fileno())
    problem = None
    if os.path.islink(path) or not stat.S_ISREG(info.st_mode):  # islink: where there is no O_NOFOLLOW
        problem = "is not a plain file"
    elif info.st_size > limit:
        problem = f"holds {info.st_size:,} bytes, more than the grader reads"
    if problem:
        handle.close()
        raise ExportError(f"its file {filename} {problem}")
    return handle


def read_json(artifacts: Path, filename: object, limit: int) -> object:
    """The JSON value of an exported file of at most limit bytes."""
    with open_exported(artifacts, filename, limit) as handle:
        try:
            return json.loads(handle.read(limit + 1).decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            raise ExportError(f"its file {filename} is not JSON ({_reason(exc)})") from None


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
        raise ExportError(f"{name} is not a plain array ({_reason(exc)})") from None
    if dtype.hasobject:
        raise ExportError(f"{name} is not a plain array (it holds Python objects)")
    if math.prod(shape) * dtype.itemsize != os.fstat(handle.fileno()).st_size - handle.tell():
        raise ExportError(f"{name} is not a plain array (its header does not match its size)")
    return shape, dtype


def read_array(handle: BinaryIO) -> np.ndarray:
    """The array in an open `.npy` file, read after its header is checked, without pickles."""
    array_header(handle)
    handle.seek(0)
    try:
        return np.load(handle, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ExportError(f"{Path(handle.name).name} is not a plain array ({_reason(exc)})") from None


def _reason(exc: Exception) -> str:
    """A parser's complaint in one short line."""
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
