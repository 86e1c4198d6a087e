"""Warm kernels: a sandboxed parent that imported TensorFlow once forks each grading kernel.

A kernel spends most of a short notebook's run importing TensorFlow and Keras (about 6 s of CPU
here). A batch instead keeps one fork server per slot: a Python process in the sandbox, started
like a kernel (same bwrap command, scrubbed environment and seed), that imports ipykernel,
NumPy, pandas, matplotlib, seaborn and Keras once and then waits on a Unix socket that the
grader made beside box/, out of the sandbox's sight, and handed down; it answers only callers
outside the sandbox (SO_PEERCRED). For each notebook it forks a child that becomes the
kernel. The fork server runs no learner code and starts no thread, so forking it is safe; a
forked kernel trains to the same weights as a fresh one (test_sandbox.py's same_verdicts).

Each kernel still runs alone, in a slot as clean as a new one, in its own cgroup:

1. the grader (ForkServer.fork_kernel, from the provisioner) sends the connection file, the
   working folder and the environment; the server forks and answers with the child's pid in
   the sandbox;
2. the child waits while the grader finds its pid outside the sandbox and moves it into the
   run's cgroup (processes and memory limits), then says "go";
3. the child starts the kernel, in the working folder, with the run's environment;
4. after the run, before the slot serves another notebook (ForkServer.clean), the server ends
   every process of its sandbox but itself (kill(-1) from a pid namespace's init, which a
   forking chain cannot outrun), empties /tmp and removes System V IPC, and says what it could
   not remove; the grader empties the run folder's box/. A slot that is not clean afterwards
   is thrown away (grade/slots.py). Keyrings and POSIX message queues, which no namespace
   here separates, are refused to the sandbox by its seccomp filter (sandbox.py).

The server and its kernels hold no descriptor of the grader's but those handed down on
purpose: their standard input, output and error are /dev/null (a kernel writes its start-up
lines there, and a pipe that nobody reads would fill after some 160 kernels and stop the
next kernel's start), and the server says it is ready on a pipe of its own, which it closes.

The fork server is the init of its sandbox's pid namespace (bwrap --as-pid-1), so no process in
the sandbox can kill it, and it adopts what a kernel leaves behind; it is not dumpable (prctl
PR_SET_DUMPABLE), so a kernel, which runs as the same user, cannot ptrace it or read its memory.
Runs of one slot follow each other; two slots are two sandboxes. A kernel that cannot be forked
(the server has gone) starts cold (sandbox_provisioner.py).
"""

from __future__ import annotations

import io
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from keras_course.course.config import load_course
from keras_course.run import sandbox
from keras_course.run.cgroups import RunCgroup
from keras_course.run.environment import kernel_environment
from keras_course.run.process_tree import children, descendants, kill

ENV = "KERAS_COURSE_FORKSERVER"  # in a grading process: the fork server of its slot (JSON)
INIT = "keras_course.run.inside.forkserver_init"  # the server's own half, run in the sandbox
SOCKET = "forkserver.sock"  # in the slot's run folder, beside box/: out of the sandbox's sight
LOG = "forkserver.log"  # beside it: what the server wrote to stderr until it was ready
START_TIMEOUT = 120.0
CLEAN_TIMEOUT = 120.0  # seconds the server may take to clean its sandbox after a run


def ns_pid(pid: int) -> int:
    """The pid of an outside process as its own pid namespace sees it (0 when unknown)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    except (OSError, ValueError):
        pass
    return 0


@dataclass(frozen=True)
class Handle:
    """What a grading process needs to use a slot's fork server (carried in ENV as JSON)."""

    root: str  # the run folder (sandbox.RunFolder) whose box/ the server's sandbox writes into
    pid: int  # the fork server, outside the sandbox
    seed: int  # its PYTHONHASHSEED: a run with another seed cannot use it
    isolation: str  # "sandbox" or "none"

    @property
    def socket(self) -> Path:
        return Path(self.root) / SOCKET

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> Handle | None:
        raw = os.environ.get(ENV)
        if not raw:
            return None
        try:
            return cls(**json.loads(raw))
        except (TypeError, ValueError):
            return None

    def alive(self) -> bool:
        return ns_pid(self.pid) != 0 and self.socket.exists()

    @contextmanager
    def _talk(self, request: dict, timeout: float) -> Iterator[io.TextIOBase]:
        """A connection to the server with request sent: the stream to read its answer from."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(self.socket))
            with conn.makefile("rw", encoding="utf-8") as stream:
                stream.write(json.dumps(request) + "\n")
                stream.flush()
                yield stream

    def ask(self, request: dict, timeout: float) -> dict:
        """The server's one-line answer to request."""
        with self._talk(request, timeout) as stream:
            answer = json.loads(stream.readline())
        if not isinstance(answer, dict):
            raise ValueError(f"the fork server answered {answer!r}")
        return answer

    def fork_kernel(self, connection_file: str, cwd: str, env: dict[str, str], join: list[Path]) -> int:
        """Have the server fork a kernel; move it into the cgroups whose cgroup.procs files are
        in join before it starts; return its pid outside the sandbox."""
        request = {"op": "fork", "connection_file": connection_file, "cwd": cwd, "env": env}
        with self._talk(request, 30) as stream:
            inner = int(json.loads(stream.readline())["pid"])
            outer = self._outer_pid(inner)
            for procs in join:
                procs.write_text(str(outer), encoding="ascii")
            stream.write("go\n")
            stream.flush()
        return outer

    def _outer_pid(self, inner: int) -> int:

        for _ in range(500):
            for pid in children(self.pid):
                if ns_pid(pid) == inner:
                    return pid
            time.sleep(0.01)
        raise OSError("the fork server's kernel did not appear")


def _ready_line(fd: int, timeout: float) -> dict:
    """What the server said on its ready pipe (read here, then closed), {} when it said nothing."""
    with os.fdopen(fd, "rb") as pipe:
        line = pipe.readline(4096) if select.select([pipe], [], [], timeout)[0] else b""
    try:
        said = json.loads(line)
    except ValueError:
        return {}
    return said if isinstance(said, dict) else {}


class ForkedKernel:
    """The forked kernel, as jupyter_client's provisioner handles a Popen: it is the fork
    server's child, not ours, so it is watched through a pidfd."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._fd = os.pidfd_open(pid)
        self.stdout = self.stderr = self.stdin = None

    def poll(self) -> int | None:
        if self.returncode is None:
            if select.select([self._fd], [], [], 0)[0]:
                self.returncode = -signal.SIGKILL if ns_pid(self.pid) else 0
                os.close(self._fd)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(["kernel"], timeout or 0)
            time.sleep(0.02)
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkServer:
    """One slot's fork server, in a sandbox of its own run folder (root), until stop()."""

    def __init__(self, root: Path, seed: int) -> None:
        self.root = Path(root)
        self.seed = seed
        self._process: subprocess.Popen | None = None
        self._alive: int | None = None  # the pipe whose end ends the server
        self.handle: Handle | None = None
        self.why_not: str | None = None  # why there is no fork server, when start() gave none

    def start(self) -> Handle | None:
        """Start the server; its Handle, or None (why_not says why) where kernels start cold:
        no sandbox, no cgroup to hold a forked kernel, or a preload that started a thread."""

        self.why_not = sandbox.unavailable()
        probe = RunCgroup.create(8, 64) if self.why_not is None else None
        if probe is None:
            self.why_not = self.why_not or "no cgroup can be made here"
            return None
        probe.remove()
        folder = sandbox.RunFolder(self.root)
        folder.empty()
        folder.make(sandboxed=True)
        env = kernel_environment(folder.home, self.seed)
        env["TMPDIR"] = str(folder.tmp)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        (self.root / SOCKET).unlink(missing_ok=True)
        listener.bind(str(self.root / SOCKET))  # root/ is the grader's: the sandbox sees box/ only
        listener.listen(4)
        alive, self._alive = os.pipe()  # the server ends when this process lets go of _alive
        ready_read, ready = os.pipe()  # the server says it is ready here, once, and closes it
        log = (self.root / LOG).open("wb")
        fds = [listener.fileno(), alive, ready]
        command = [sys.executable, "-m", INIT, *map(str, fds)]
        command = sandbox.wrap_limited(
            command, folder.box, Path("/"), load_course().disk_mb, as_pid_1=True, passed_fds=tuple(fds)
        )
        self._process = subprocess.Popen(
            command,
            env=env,
            cwd="/",
            stdin=subprocess.DEVNULL,  # never the grader's terminal, nor a pipe that nobody reads
            stdout=subprocess.DEVNULL,
            stderr=log,  # until it is ready: then /dev/null
            start_new_session=True,
            pass_fds=fds,
        )
        log.close()
        listener.close()
        os.close(alive)
        os.close(ready)
        said = _ready_line(ready_read, START_TIMEOUT)
        if not said.get("ready"):
            self.why_not = f"the fork server did not start: {said or self._last_words()}"
            self.stop()
            return None
        server = self._find(int(said["pid"]))
        self.handle = Handle(str(self.root), server, self.seed, "sandbox")
        return self.handle

    def _last_words(self) -> str:
        """The last line the server wrote to its log, or "no answer"."""
        try:
            lines = (self.root / LOG).read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            lines = []
        return lines[-1][:300] if lines else "no answer"

    def clean(self) -> list[str]:
        """Make the slot as new after a run: the server ends every process of the sandbox and
        empties /tmp and System V IPC, then box/ is emptied here. What stayed, in words: empty
        when the slot is clean (and a slot whose server is gone is not)."""
        if self.handle is None or not self.alive():
            return ["the fork server has gone"]
        try:
            left = self.handle.ask({"op": "clean"}, CLEAN_TIMEOUT)["left"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            left = [f"the fork server did not clean: {exc}"]
        folder = sandbox.RunFolder(self.root)
        if not folder.empty():
            left = [*left, f"{folder.box} could not be emptied"]
        return [str(item) for item in left] if isinstance(left, list) else [repr(left)]

    def _find(self, inner: int) -> int:

        assert self._process is not None
        for pid in descendants(self._process.pid):
            if ns_pid(pid) == inner and pid != self._process.pid:
                return pid
        raise OSError("the fork server's pid was not found")

    def alive(self) -> bool:
        return (
            self._process is not None
            and self._process.poll() is None
            and bool(self.handle and self.handle.alive())
        )

    def stop(self) -> None:
        """End the server and everything in its sandbox."""

        if self._process is not None:
            kill([*reversed(descendants(self._process.pid)), self._process.pid])
            self._process.wait()
            self._process = None
        if self._alive is not None:
            os.close(self._alive)
            self._alive = None
        self.handle = None
