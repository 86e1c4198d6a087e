"""What a run folder holds on disk, walked by descriptors (one per level, so that no path grows
past PATH_MAX and no link is followed), for the watchdog's disk limit."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from keras_course.run.cleanup import OPEN_DIR

MAX_FILES = 100_000  # files in the run folder past which the disk limit counts as hit
MAX_DEPTH = 4096  # folder levels in the run folder past which the disk limit counts as hit


def disk_use(folder: Path) -> tuple[int, int]:
    """The bytes on disk and the number of files below folder, links not followed. It walks by
    descriptors, one a level, so that no depth hides a file from it (a path past PATH_MAX
    would); a tree deeper than MAX_DEPTH counts as MAX_FILES + 1 files: past the limit."""
    used = files = 0
    try:
        stack = [_listing(os.open(folder, OPEN_DIR))]
    except OSError:
        return used, files
    try:
        while stack and files <= MAX_FILES:
            fd, entries = stack[-1]
            entry = next(entries, None)
            if entry is None:
                os.close(stack.pop()[0])
                continue
            files += 1
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            used += getattr(info, "st_blocks", 0) * 512 or info.st_size
            if stat.S_ISDIR(info.st_mode):
                if len(stack) >= MAX_DEPTH:
                    return used, MAX_FILES + 1
                try:
                    stack.append(_listing(os.open(entry.name, OPEN_DIR, dir_fd=fd)))
                except OSError as exc:  # out of descriptors: what cannot be counted is past the limit
                    if exc.errno in (errno.EMFILE, errno.ENFILE):
                        return used, MAX_FILES + 1
        return used, files
    finally:
        for fd, _ in stack:
            os.close(fd)


def enough_descriptors() -> None:
    """Let this process hold a descriptor per level of a tree MAX_DEPTH deep (disk_use)."""
    try:
        import resource  # lazy: Unix only

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = MAX_DEPTH + 1024
        if soft != resource.RLIM_INFINITY and soft < wanted:
            limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass


def _listing(fd: int) -> tuple[int, Iterator[os.DirEntry]]:
    """A folder's descriptor and its entries, read whole (so that scandir lets its own go)."""
    try:
        return fd, iter(list(os.scandir(fd)))
    except OSError:
        return fd, iter([])
