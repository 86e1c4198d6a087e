"""The fork server's own half: the init of a slot's sandbox, which forks each grading kernel.

This runs inside the sandbox, as the learner's kernels do (run/forkserver.py, the grader's half,
starts it and says why it exists). It imports ipykernel, NumPy, pandas, matplotlib, seaborn and
Keras once, says it is ready on a pipe of its own, and then answers the grader's requests on a
socket the grader made outside the sandbox and handed down: fork a kernel, or clean the sandbox
after a run (end every other process with kill(-1), empty /tmp, remove System V IPC). It answers
only callers outside the sandbox (SO_PEERCRED), is not dumpable, and ends, its sandbox with it,
when the grader lets go of the pipe `alive`.
"""

from __future__ import annotations

import atexit
import ctypes
import importlib
import io
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path

from keras_course.run.cleanup import remove_tree
from keras_course.run.process_tree import kill_until_none

PRELOAD = ("ipykernel.kernelapp", "numpy", "pandas", "matplotlib.pyplot", "seaborn", "keras")
PR_SET_DUMPABLE = 4


def _set_dumpable(value: int) -> None:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, value, 0, 0, 0)


def _tasks() -> int:
    return len(os.listdir("/proc/self/task"))


def _others() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != 1]


def _end_others() -> bool:
    """Kill every process of the sandbox but this one, its init: kill(-1) reaches them all at
    once, and the kernel gives a child forked meanwhile the same signal."""
    return kill_until_none(_living_others, _kill_all, tries=100, pause=0.01)


def _living_others() -> list[int]:
    _reap()
    return _others()


def _kill_all(pids: list[int]) -> None:
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _ipc_left() -> list[str]:
    """The System V IPC objects of the sandbox's ipc namespace, by kind."""
    left = []
    for kind in ("shm", "msg", "sem"):
        try:
            lines = Path(f"/proc/sysvipc/{kind}").read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        left += [kind] * len(lines)
    return left


def _mount_points() -> list[str]:
    """The mount points of this mount namespace (the sandbox's)."""
    lines = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.split()[4].replace("\\040", " ") for line in lines if len(line.split()) > 4]


def clean_sandbox(tmp: Path) -> list[str]:
    """End every other process, empty /tmp and remove System V IPC; what stayed, in words
    (empty when the sandbox is as new)."""
    left = [] if _end_others() else ["processes"]
    left += _empty_around_mounts(tmp, _mount_points())
    subprocess.run(["ipcrm", "--all"], capture_output=True)
    return left + [f"System V {kind}" for kind in _ipc_left()]


def _empty_around_mounts(folder: Path, mounts: list[str]) -> list[str]:
    """Empty folder but for the mounts below it and the folders that lead to them (bwrap makes
    those in /tmp for the run folder's box/ when it lives there); what could not be removed."""
    left = []
    for entry in os.scandir(folder):
        if entry.path in mounts:
            continue
        if any(m.startswith(entry.path + "/") for m in mounts):
            left += _empty_around_mounts(Path(entry.path), mounts)
        elif not remove_tree(Path(entry.path)):
            left.append(repr(entry.path))
    return left


def _reap(signum: int = 0, frame: object = None) -> None:
    """Collect the kernels that ended (SIGCHLD)."""
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


def _become_kernel(request: dict, go: int) -> None:  # the forked child; never returns
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if os.read(go, 1) != b"g":  # the grader moves this process into the run's cgroup first
            os._exit(1)
        os.closerange(3, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 1024)
        _set_dumpable(1)  # a kernel as dumpable as a fresh one; the server stays non-dumpable
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        if sys.path and sys.path[0] in ("", "/"):
            del sys.path[0]  # ipykernel puts the working folder back (InteractiveShellApp.init_path)
        sys.argv = ["ipykernel_launcher", "-f", request["connection_file"]]
        from ipykernel import kernelapp  # preloaded; imported here, in the forked kernel, after its env

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        code = 1
    _exit_as_python_does(code)


def _exit_as_python_does(code: int) -> None:
    """End the forked kernel as a Python process ends: wait for its threads (a kernel whose loop
    was stopped by `exit()` still answers on them, as a fresh kernel does), run atexit."""
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    os._exit(code)


def _from_outside(connection: socket.socket) -> bool:
    """Whether the peer is outside the sandbox: its pid, seen from here, is 0."""
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", credentials)[0] == 0


def serve(fd: int, alive: int, ready: int) -> None:
    """The fork server's main loop: preload, say ready on the pipe `ready` and close it, then
    answer each request on the listening socket fd, which the grader made outside the sandbox
    and handed down: fork a kernel, or clean the sandbox. When the pipe `alive` ends (the
    grader has gone, killed or not), so does the server, and with it, as the init of its pid
    namespace, every process of its sandbox."""
    if os.getpid() != 1:
        raise SystemExit("the fork server runs only as the sandbox's init (it ends every other process)")
    _set_dumpable(0)
    signal.signal(signal.SIGCHLD, _reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the init of a pid namespace gets only what it handles
    for name in PRELOAD:
        importlib.import_module(name)
    listener = socket.socket(fileno=fd)
    said = json.dumps({"ready": _tasks() == 1, "pid": os.getpid(), "tasks": _tasks()})
    os.write(ready, said.encode() + b"\n")
    os.close(ready)
    quiet = os.open(os.devnull, os.O_RDWR)
    os.dup2(quiet, 2)  # the start-up's errors went to the grader's log; the kernels' go nowhere
    os.close(quiet)
    if _tasks() != 1:  # a thread started by an import: forking would not be safe
        return
    while True:
        if alive in select.select([listener, alive], [], [])[0] and not os.read(alive, 1):
            os._exit(0)  # at once: as the sandbox's init, it takes every process of it along
        connection, _ = listener.accept()
        if not _from_outside(connection):  # a process of the sandbox: a kernel holds no right to ask
            connection.close()
            continue
        with connection, connection.makefile("rw", encoding="utf-8") as stream:
            try:
                request = json.loads(stream.readline())
            except ValueError:
                continue
            if request.get("op") == "clean":
                stream.write(json.dumps({"left": clean_sandbox(Path("/tmp"))}) + "\n")
                stream.flush()
                continue
            _fork_kernel(request, stream)


def _fork_kernel(request: dict, stream: io.TextIOBase) -> None:
    """Fork the kernel of request; it starts when the grader, having moved it into the run's
    cgroup, says "go" on stream."""
    go_read, go_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(go_write)
        os.setsid()
        _become_kernel(request, go_read)  # closes every other descriptor
    os.close(go_read)
    stream.write(json.dumps({"pid": pid}) + "\n")
    stream.flush()
    answer = stream.readline().strip()
    os.write(go_write, b"g" if answer == "go" else b"x")
    os.close(go_write)


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
