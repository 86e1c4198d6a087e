"""The processes below the grader: listing a tree (from /proc), its memory and tasks, the tag that
marks one run's processes (RUN_ENV), and killing them."""

from __future__ import annotations

import ctypes
import hashlib
import os
import secrets
import signal
import time
from collections.abc import Callable, Iterable
from pathlib import Path

RUN_ENV = "KERAS_COURSE_RUN"  # in the kernel's environment: the tag of this run
BATCH_ENV = "KERAS_COURSE_BATCH"  # in the grading processes' environment: the batch's secret
PR_SET_CHILD_SUBREAPER = 36
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def run_token(notebook: Path) -> str:
    """The tag of one notebook's run: derived from the batch's secret when a batch grades it."""
    batch = os.environ.get(BATCH_ENV)
    if not batch:
        return secrets.token_hex(16)
    return hashlib.sha256(f"{batch}\0{os.path.abspath(notebook)}".encode()).hexdigest()[:32]


def set_subreaper() -> bool:
    """Adopt the orphans of our descendants (Linux only); False where that is not possible."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def children(pid: int) -> list[int]:
    """The direct children of pid."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return _psutil_children(pid)
    found: list[int] = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found += [int(p) for p in handle.read().split()]
        except FileNotFoundError:
            continue  # the thread or the process just ended
        except OSError:
            return _psutil_children(pid)  # a kernel without /proc/.../children
    return found


def _psutil_children(pid: int) -> list[int]:
    import psutil  # lazy: the fallback where /proc lacks what we read (0.1 s to import)

    try:
        return [p.pid for p in psutil.Process(pid).children()]
    except psutil.Error:
        return []


def descendants(pid: int) -> list[int]:
    """Every process below pid, parents before their children."""
    found, queue = [], children(pid)
    while queue:
        child = queue.pop(0)
        if child not in found:
            found.append(child)
            queue += children(child)
    return found


def rss(pid: int) -> int:
    """Resident bytes of one process (0 once it has ended)."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return _psutil_memory(pid, "rss")


def pss(pid: int) -> int:
    """Proportional resident bytes: pages shared with other processes count by share."""
    return _psutil_memory(pid, "pss")


def _psutil_memory(pid: int, field: str) -> int:
    import psutil  # lazy: the fallback where /proc lacks what we read (0.1 s to import)

    try:
        process = psutil.Process(pid)
        info = process.memory_full_info() if field == "pss" else process.memory_info()
        return int(getattr(info, field, info.rss))
    except psutil.Error:
        return 0


def tasks(pid: int) -> int:
    """The threads of one process (0 once it has ended)."""
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0


def kill(pids: Iterable[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def reap(pids: Iterable[int]) -> None:
    """Collect the exit status of those of pids that are our own ended children."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def tagged(tokens: set[str]) -> list[int]:
    """The processes whose environment carries RUN_ENV with one of tokens."""
    wanted = {f"{RUN_ENV}={t}".encode() for t in tokens}
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                if wanted.intersection(handle.read().split(b"\0")):
                    found.append(int(entry))
        except OSError:
            continue  # ended, or not ours to read
    return found


def kill_until_none(
    find: Callable[[], list[int]], end: Callable[[list[int]], None] = kill, *, tries: int, pause: float
) -> bool:
    """end (kill by default) what find lists, again and again until it lists nothing: a forking
    loop makes new processes while the old ones die. Whether none was left in the end."""
    for _ in range(tries):
        pids = find()
        if not pids:
            return True
        end(pids)
        time.sleep(pause)
    return not find()


def end_tagged(tokens: Iterable[str]) -> None:
    """Kill every process left from the runs with these tags (a killed grader's kernel)."""
    tokens = set(tokens)
    kill_until_none(lambda: tagged(tokens) if tokens else [], tries=10, pause=0.05)


def alive(pid: int) -> bool:
    """The process exists and has not ended (a zombie waiting to be collected has ended)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def end_descendants(grace: float) -> None:
    """End every process below this one: our children get SIGTERM and grace seconds to end
    their own kernels and clean up; then whatever is left is killed. Our children stay for
    their owners (subprocess) to collect."""
    for pid in children(os.getpid()):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    until = time.monotonic() + grace
    while time.monotonic() < until and any(alive(pid) for pid in children(os.getpid())):
        time.sleep(0.05)
    kill_until_none(lambda: [pid for pid in descendants(os.getpid()) if alive(pid)], tries=10, pause=0.05)
