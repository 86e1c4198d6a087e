"""A control group per kernel run, under the grader's own: a cap on processes and on memory.

The pids controller caps how many processes and threads the kernel and all it starts may have
at once, so a fork bomb fails inside its own run; the memory controller caps what they use
together. Both cgroup v2 (one hierarchy) and v1 (one hierarchy per controller) are handled.
Where no cgroup can be made (no permission, no controller), `RunCgroup.create` returns None and
the watchdog's polling is the only limit.

Killing every process of a run must not be outrun by a chain of forks. cgroup v2 has
cgroup.kill, which the kernel carries out at once; v1 has none, and a pid-by-pid kill races with
fork. So on v1 each run also gets a freezer group: its processes are frozen, killed while
frozen (a frozen process cannot fork), then thawed to die, as runc and systemd do on v1.

Each group is named after the process that made it (leftovers.py), so that the groups of a
killed grader are removed by the next one (remove_orphan_groups).

The kernel enters the group before it starts: its command is prefixed with a shell line that
writes its own pid into each group's cgroup.procs and then execs the command, so every process
it starts is counted from the first.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from keras_course.run.leftovers import owner_alive, owner_tag
from keras_course.run.process_tree import kill, kill_until_none

CGROUP_ROOT = Path("/sys/fs/cgroup")
PREFIX = "keras-course-"
FREEZE_WAIT = 2.0  # seconds a freezer group may take to freeze


def _own_paths() -> dict[str, str]:
    """This process's cgroup path per controller ("" for the v2 hierarchy)."""
    paths: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text(encoding="ascii").splitlines()
    except OSError:
        return paths
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path
    return paths


def _write(path: Path, text: str) -> bool:
    try:
        path.write_text(text, encoding="ascii")
        return True
    except OSError:
        return False


def _counter(path: Path, name: str) -> int:
    """The value of `name` in a flat-keyed cgroup file (pids.events, memory.events), 0 if absent."""
    try:
        for line in path.read_text(encoding="ascii").splitlines():
            key, _, value = line.partition(" ")
            if key == name:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _parents() -> list[Path]:
    """The folders under which this process makes its groups: one (v2) or one per controller."""
    own = _own_paths()
    if (CGROUP_ROOT / "cgroup.controllers").is_file():
        return [CGROUP_ROOT / own.get("", "/").lstrip("/")]
    return [CGROUP_ROOT / c / own.get(c, "/").lstrip("/") for c in ("pids", "memory", "freezer")]


@dataclass
class RunCgroup:
    """The cgroup(s) of one kernel run: `pids` and `memory` are the folders holding each limit,
    `freezer` (v1 only) the folder whose processes are frozen before they are killed."""

    pids: Path
    memory: Path | None
    freezer: Path | None = None

    @classmethod
    def create(cls, processes: int, memory_mb: float) -> RunCgroup | None:
        """New groups capped at `processes` tasks and `memory_mb` MB, or None where that cannot be."""
        name = f"{PREFIX}{owner_tag()}{secrets.token_hex(8)}"
        own = _own_paths()
        if (CGROUP_ROOT / "cgroup.controllers").is_file():  # v2
            parent = CGROUP_ROOT / own.get("", "/").lstrip("/")
            enabled = (parent / "cgroup.subtree_control").read_text(encoding="ascii").split()
            for controller in ("pids", "memory"):
                if controller not in enabled:
                    _write(parent / "cgroup.subtree_control", f"+{controller}")
            group = cls._make(parent / name, "pids.max", str(processes))
            if group is None:
                return None
            memory = group if _write(group / "memory.max", str(int(memory_mb * 1024 * 1024))) else None
            if memory is not None:
                _write(group / "memory.swap.max", "0")
            return cls(group, memory)
        pids_parent = CGROUP_ROOT / "pids" / own.get("pids", "/").lstrip("/")
        group = cls._make(pids_parent / name, "pids.max", str(processes))
        if group is None:
            return None
        memory_parent = CGROUP_ROOT / "memory" / own.get("memory", "/").lstrip("/")
        memory = cls._make(memory_parent / name, "memory.limit_in_bytes", str(int(memory_mb * 1024 * 1024)))
        freezer_parent = CGROUP_ROOT / "freezer" / own.get("freezer", "/").lstrip("/")
        freezer = cls._make(freezer_parent / name, "freezer.state", "THAWED")
        return cls(group, memory, freezer)

    @staticmethod
    def _make(folder: Path, limit_file: str, value: str) -> Path | None:
        try:
            folder.mkdir()
        except OSError:
            return None
        if not _write(folder / limit_file, value):
            folder.rmdir()
            return None
        return folder

    @property
    def folders(self) -> list[Path]:
        extra = [f for f in (self.memory, self.freezer) if f is not None and f != self.pids]
        return [self.pids, *extra]

    def join_command(self, command: list[str]) -> list[str]:
        """command, prefixed so that it runs inside these groups from its first instruction."""
        n = len(self.folders)
        enter = " && ".join(f'echo $$ > "${i + 1}"' for i in range(n))
        files = [str(folder / "cgroup.procs") for folder in self.folders]
        return ["/bin/sh", "-c", f'{enter} && shift {n} && exec "$@"', "sh", *files, *command]

    def limit_hit(self) -> str | None:
        """ "processes" or "memory" when that limit stopped something in the run, else None."""
        if _counter(self.pids / "pids.events", "max") > 0:
            return "processes"
        if self.memory is not None:
            events = "memory.events" if (self.memory / "memory.events").is_file() else "memory.oom_control"
            if _counter(self.memory / events, "oom_kill") > 0:
                return "memory"
        return None

    def pids_in(self) -> list[int]:
        found: set[int] = set()
        for folder in self.folders:
            try:
                found |= {int(p) for p in (folder / "cgroup.procs").read_text(encoding="ascii").split()}
            except (OSError, ValueError):
                continue
        return sorted(found)

    def peak_tasks(self) -> int:
        """The most processes and threads the run had at once (0 where the kernel does not say)."""
        try:
            return int((self.pids / "pids.peak").read_text(encoding="ascii"))
        except (OSError, ValueError):
            return 0

    def kill(self) -> bool:
        """Kill every process in the groups: at once on v2 (cgroup.kill), frozen first on v1;
        whether none is left."""
        _write(self.pids / "cgroup.kill", "1")  # v2: the kernel does it at once; v1 has no such file
        return kill_until_none(self.pids_in, self._kill_frozen, tries=100, pause=0.02)

    def _kill_frozen(self, pids: list[int]) -> None:
        """Kill the group's processes frozen (v1), so that none of them can fork meanwhile."""
        frozen = self._freeze()
        kill(self.pids_in() if frozen else pids)
        if frozen and self.freezer is not None:
            _write(self.freezer / "freezer.state", "THAWED")  # killed, they end as they thaw

    def _freeze(self) -> bool:
        """Freeze the freezer group (v1); whether its processes are all frozen now."""
        if self.freezer is None or not _write(self.freezer / "freezer.state", "FROZEN"):
            return False
        until = time.monotonic() + FREEZE_WAIT
        while time.monotonic() < until:
            try:
                if (self.freezer / "freezer.state").read_text(encoding="ascii").strip() == "FROZEN":
                    return True
            except OSError:
                return False
            time.sleep(0.005)
        return False

    def remove(self) -> bool:
        """Kill what is left and remove the groups; whether they are gone."""
        self.kill()
        return all(_remove_group(folder) for folder in self.folders)


def _remove_group(folder: Path) -> bool:
    for _ in range(50):
        try:
            folder.rmdir()
            return True
        except FileNotFoundError:
            return True
        except OSError:  # the last processes are still being reaped
            time.sleep(0.02)
    return False


def remove_orphan_groups() -> list[Path]:
    """Remove the groups of graders that have ended (killed before they could), with whatever
    process is still in them; those that could not be removed."""
    stuck = []
    for parent in _parents():
        try:
            names = [e.name for e in os.scandir(parent) if e.is_dir() and e.name.startswith(PREFIX)]
        except OSError:
            continue
        for name in names:
            if not owner_alive(name, PREFIX):
                folder = parent / name
                group = RunCgroup(folder, None, folder if (folder / "freezer.state").is_file() else None)
                if not group.remove():
                    stuck.append(parent / name)
    return stuck
