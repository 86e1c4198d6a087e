"""How much memory the container this grader runs in may use, before its processes are killed.

A container's memory limit is its cgroup's (or an ancestor's): cgroup v2's memory.max, v1's
memory.limit_in_bytes. Where no cgroup sets one, the machine's memory (MemTotal) is the limit.
Gradescope's autograder checks it against the course's limits before it runs a notebook, so that
too little memory is a message that names the setting to change, not a run the kernel's OOM
killer ends ("Killed"). MEMORY_ENV overrides what is read: for a container whose limit its
cgroup files do not show.
"""

from __future__ import annotations

import os
from pathlib import Path

from keras_course.course.errors import CourseError

MEMORY_ENV = "KERAS_COURSE_CONTAINER_MEMORY_MB"
CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC = Path("/proc")
MB = 1024 * 1024


def memory_mb(cgroup_root: Path = CGROUP_ROOT, proc: Path = PROC) -> float:
    """The MB this process's container may use: MEMORY_ENV, else the least of its cgroups'
    limits and the machine's memory."""
    given = os.environ.get(MEMORY_ENV, "").strip()
    if given:
        try:
            return float(given)
        except ValueError:
            raise CourseError(f"{MEMORY_ENV}={given}: not a number of MB") from None
    return min([machine_mb(proc), *cgroup_limits_mb(cgroup_root, proc)])


def machine_mb(proc: Path = PROC) -> float:
    """The machine's memory (MemTotal of /proc/meminfo), in MB."""
    for line in (proc / "meminfo").read_text(encoding="ascii").splitlines():
        name, _, value = line.partition(":")
        if name == "MemTotal":
            return int(value.split()[0]) / 1024
    raise CourseError(f"{proc / 'meminfo'}: no MemTotal")


def cgroup_limits_mb(cgroup_root: Path = CGROUP_ROOT, proc: Path = PROC) -> list[float]:
    """The memory limits of this process's cgroup and its ancestors, in MB ("max" sets none)."""
    limits = []
    for folder, name in memory_cgroups(cgroup_root, proc):
        for above in [folder, *folder.parents]:
            if cgroup_root not in [above, *above.parents]:
                break
            text = read_or_empty(above / name)
            if text.isdigit():
                limits.append(int(text) / MB)
    return limits


def memory_cgroups(cgroup_root: Path, proc: Path) -> list[tuple[Path, str]]:
    """This process's memory cgroup folder and the name of its limit file: v2's memory.max in the
    one hierarchy, or v1's memory.limit_in_bytes in the memory controller's."""
    found = []
    for line in read_or_empty(proc / "self" / "cgroup").splitlines():
        _, controllers, path = line.split(":", 2)
        relative = path.lstrip("/")
        if not controllers and (cgroup_root / "cgroup.controllers").is_file():
            found.append((cgroup_root / relative, "memory.max"))
        elif "memory" in controllers.split(","):
            found.append((cgroup_root / "memory" / relative, "memory.limit_in_bytes"))
    return found


def read_or_empty(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError:
        return ""
