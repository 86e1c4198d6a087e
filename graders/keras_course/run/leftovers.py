"""What a killed grader leaves, found and removed by the next one: folders named after their owner.

A batch or a grading process that is killed (SIGKILL, an out-of-memory kill, a lost machine)
cannot remove what it made: its slots' run folders in the system's temporary folder and its
kernels' cgroups. Its processes end with it (the fork server reads a pipe that only its owner
holds; every other process of a run dies with its parent), but folders stay. So each such folder
is named after the process that owns it, by its pid and its start time (a pid alone may be
reused), and `remove_orphans` removes the folders whose owner has ended.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from keras_course.run.cleanup import remove_tree

TAG = re.compile(r"(\d+)\.(\d+)-")  # "<pid>.<start time>-", right after a folder's prefix


def start_time(pid: int) -> int | None:
    """When the process started, in clock ticks since boot (None when it does not exist)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def owner_tag(pid: int | None = None) -> str:
    """The tag of a process (this one by default), as it starts the names of its folders."""
    pid = os.getpid() if pid is None else pid
    return f"{pid}.{start_time(pid) or 0}-"


def owner_alive(name: str, prefix: str) -> bool:
    """Whether the owner named in a folder's name (after prefix) still runs; a name without
    a tag has an owner that cannot be told, so it counts as alive."""
    found = TAG.match(name[len(prefix) :]) if name.startswith(prefix) else None
    if found is None:
        return True
    pid, started = int(found[1]), int(found[2])
    return start_time(pid) == started


def owned_folder(prefix: str, parent: Path | None = None) -> Path:
    """A new private folder (0700) named prefix + this process's tag, in parent (by default
    the system's temporary folder)."""
    folder = Path(parent or tempfile.gettempdir())
    return Path(tempfile.mkdtemp(prefix=prefix + owner_tag(), dir=folder))


def remove_orphans(prefix: str, parent: Path | None = None) -> list[Path]:
    """Remove the folders of parent (the temporary folder) named prefix + tag whose owner has
    ended, and that belong to this user; those that could not be removed."""
    folder = Path(parent or tempfile.gettempdir())
    stuck = []
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(prefix)]
    except OSError:
        return stuck
    for entry in entries:
        try:
            mine = entry.stat(follow_symlinks=False).st_uid == os.geteuid()
        except OSError:
            continue
        if mine and entry.is_dir(follow_symlinks=False) and not owner_alive(entry.name, prefix):
            if not remove_tree(Path(entry.path)):
                stuck.append(Path(entry.path))
    return stuck


class OwnedFolder:
    """A folder of owned_folder's, used as tempfile.TemporaryDirectory is (name, cleanup, with),
    and removed with cleanup.remove_tree, which no tree a notebook makes defeats."""

    def __init__(self, prefix: str, parent: Path | None = None) -> None:
        self.name = str(owned_folder(prefix, parent))

    def cleanup(self) -> bool:
        return remove_tree(Path(self.name))

    def __enter__(self) -> str:
        return self.name

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()
