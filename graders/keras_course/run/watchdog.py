"""Watch the processes a notebook runs in: its memory and time limits, and ending every one of them.

The kernel leads its own session (jupyter_client starts it with start_new_session=True), and a
notebook can start processes that leave the kernel's group too. So the grader does not signal
a group; it follows the tree:

- the grading process makes itself a child subreaper (Linux), so every process a notebook
  starts, even a daemon that double-forks, stays a descendant of the grader while it lives;
- a Watchdog thread lists the descendants (from /proc/<pid>/task/*/children) every POLL
  seconds and sums their resident memory; past the limit it confirms with the proportional set
  size (a page shared by a forked child counts once) and ends the whole tree;
- when the run ends, however it ends, every descendant started during the run is killed;
- the kernel's environment carries RUN_ENV, a tag derived from the batch's secret and the
  notebook's path, so that a batch can end what a grading process left behind if that process
  itself was killed (end_tagged).

Memory is polled, not capped with RLIMIT_AS: TensorFlow reserves far more address space than it
uses (a kernel that imported Keras and fit a small model: 0.59 GB resident, 2.1 GB of address
space), so an address-space cap would have to sit far above the memory budget to let it start.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import secrets
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from keras_course.run.cleanup import OPEN_DIR

POLL = 0.1  # seconds between two looks at the tree
GRACE = 5.0  # seconds past the time limit before the watchdog ends a kernel nbclient did not stop
RUN_ENV = "KERAS_COURSE_RUN"  # in the kernel's environment: the tag of this run
BATCH_ENV = "KERAS_COURSE_BATCH"  # in the grading processes' environment: the batch's secret
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
PR_SET_CHILD_SUBREAPER = 36

LIMIT_MESSAGES = {
    "time": "the notebook ran past its time limit of {timeout:g} seconds",
    "memory": "the notebook used more than {memory:g} MB of memory",
    "output": "the notebook printed more than {output:g} MB of output",
    "processes": "the notebook started more than {processes:g} processes and threads at once",
    "disk": "the notebook wrote more than {disk:g} MB of files",
}
MAX_FILES = 100_000  # files in the run folder past which the disk limit counts as hit
MAX_DEPTH = 4096  # folder levels in the run folder past which the disk limit counts as hit


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
    import psutil

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
    import psutil

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


def end_tagged(tokens: Iterable[str]) -> None:
    """Kill every process left from the runs with these tags (a killed grader's kernel)."""
    tokens = set(tokens)
    for _ in range(10):
        pids = tagged(tokens) if tokens else []
        if not pids:
            return
        kill(pids)
        time.sleep(0.05)


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
    for _ in range(10):
        pids = [pid for pid in descendants(os.getpid()) if alive(pid)]
        if not pids:
            return
        kill(pids)
        time.sleep(0.05)


@contextmanager
def sigterm_raises(
    make: Callable[[int], BaseException] = lambda signum: KeyboardInterrupt(f"stopped by signal {signum}"),
) -> Iterator[None]:
    """In the main thread, make SIGTERM raise make(signum) (a KeyboardInterrupt by default), so
    that a process asked to stop still ends its kernels and removes its folders on the way
    out; a second SIGTERM meanwhile is ignored, so that it cannot cut that clean-up short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise make(signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Watchdog:
    """Limits the memory and time of the processes started while it watches, and ends them all.

    Use it as a context manager around the notebook's run; `reason` is then "time", "memory",
    "output", "disk" or "processes" when a limit ended the run (see LIMIT_MESSAGES), or None.
    `processes` caps the processes and threads of the tree (a cgroup, where there is one, keeps
    the tree from passing it between two looks). `also` lists more processes of the run that
    are not the grader's descendants (a kernel forked by a fork server). `disk` is the
    folder the notebook writes into and its limit in MB: its size is polled too (a cap on the
    size of any one file, where the sandbox sets one, keeps a single write from passing it).
    """

    def __init__(
        self,
        memory_mb: float | None,
        deadline: float,
        disk: tuple[Path, float] | None = None,
        processes: int | None = None,
        also: Callable[[], list[int]] | None = None,
    ) -> None:
        self.limit = None if memory_mb is None else int(memory_mb * 1024 * 1024)  # None: the cgroup's
        self.deadline = deadline  # time.monotonic() past which the tree is ended
        self.disk = (disk[0], int(disk[1] * 1024 * 1024)) if disk else None
        self.reason: str | None = None
        self.peak = 0  # the largest memory the tree was seen using, in bytes
        self.processes = processes  # processes and threads the tree may have at once
        self.peak_tasks = 0  # the most processes and threads the tree had at once
        self._also = also  # more processes of the run: a forked kernel's cgroup (forkserver.py)
        self._next_disk = 0.0  # time.monotonic() of the next walk of the disk folder
        self._me = os.getpid()
        self._baseline: set[int] = set()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name="keras-course-watchdog", daemon=True)

    def __enter__(self) -> Watchdog:
        set_subreaper()
        enough_descriptors()
        self._baseline = set(descendants(self._me))
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def tree(self) -> list[int]:
        """The processes started since the watch began: the kernel and all it started."""
        pids = [pid for pid in descendants(self._me) if pid not in self._baseline]
        return pids + [pid for pid in (self._also() if self._also else []) if pid not in pids]

    def memory(self, pids: list[int]) -> int:
        used = sum(rss(pid) for pid in pids)
        if self.limit is not None and used > self.limit:  # resident sizes count shared pages twice
            used = sum(pss(pid) for pid in pids)
        return used

    def _watch(self) -> None:
        while not self._done.wait(POLL):
            if time.monotonic() > self.deadline:
                self.stop("time")
                return
            tree = self.tree()
            used = self.memory(tree)
            self.peak = max(self.peak, used)
            count = sum(tasks(pid) for pid in tree)
            self.peak_tasks = max(self.peak_tasks, count)
            if self.limit is not None and used > self.limit:
                self.stop("memory")
                return
            if self.processes is not None and count >= self.processes:  # the cgroup's cap, reached
                self.stop("processes")
                return
            if self.disk is not None and time.monotonic() >= self._next_disk:
                started = time.monotonic()
                written, files = disk_use(self.disk[0])
                # A large tree takes long to walk: walk it at most a fifth of the time.
                self._next_disk = time.monotonic() + 4 * (time.monotonic() - started)
                if written >= self.disk[1] or files > MAX_FILES:
                    self.stop("disk")
                    return

    def stop(self, reason: str) -> None:
        """End the run for this reason (the first reason given is the one kept)."""
        with self._lock:
            if self.reason is None:
                self.reason = reason
        self.end_tree()

    def end_tree(self) -> None:
        """Kill every process of the tree, again until none is left (a forking loop, say)."""
        for _ in range(50):
            pids = self.tree()
            reap(pids)  # those of them that were our children and have ended
            pids = [pid for pid in pids if alive(pid)]
            if not pids:
                return
            kill(pids)
            time.sleep(0.02)

    def close(self) -> None:
        self._done.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()
        self.end_tree()
