"""The Linux sandbox a kernel runs in: bubblewrap (bwrap) with no network and no course files.

A sandboxed kernel gets its own user, pid, network, ipc, uts and mount namespaces. It sees, read
only, the system's libraries, the Python installation, the environment's packages and the
keras_course package (an editable install's alone, under /opt/keras-course); it writes only into
its run folder's `box/`, which is mounted at the same
path inside as outside (the connection file and the ZeroMQ sockets in it are used from both
sides). Nothing else of the machine is there: not the course folder, not the submissions, not
the result store, not HOME. /tmp is a small private tmpfs.

A seccomp filter (seccomp_filter) refuses the system calls that reach state which no namespace
separates: the kernel's keyrings (uid 65534's user keyring is one for every sandbox of a root
grader) and POSIX message queues (which `ipcrm --all` does not remove).

When the grader runs as root, bwrap sets up the mounts as root and `setpriv` then drops the
kernel to the real uid SANDBOX_UID with no capabilities, so that outside the sandbox too its
processes belong to an unprivileged user. Otherwise bwrap maps the grader's uid to SANDBOX_UID in
a user namespace of its own.

`mode` is what the user asks for: "required" (refuse to run without the sandbox), "auto" (use it
where it can run) or "off"; `isolation(mode)` says what a run gets: "sandbox", "user" (where
bwrap cannot run, "auto" runs the kernel as the unprivileged user that unprivileged.RUN_AS_ENV
names, when there is one) or "none".
"""

from __future__ import annotations

import errno
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from keras_course.course.config import SANDBOX_MODES
from keras_course.course.errors import CourseError
from keras_course.run.cleanup import remove_tree
from keras_course.run.unprivileged import RunAs, drop_to, run_as

LEVELS = {"none": 0, "user": 1, "sandbox": 2}  # what a result was graded under; higher is stronger
SANDBOX_UID = 65534  # nobody
TMP_MB = 64  # the private /tmp inside the sandbox (TMPDIR points into the run folder)
ETC = ("fonts", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group", "nsswitch.conf")
# Refused with EPERM in the sandbox, as Docker's default profile refuses the keyring calls.
REFUSED_CALLS = (
    "add_key",
    "request_key",
    "keyctl",
    "mq_open",
    "mq_unlink",
    "mq_timedsend",
    "mq_timedreceive",
)
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install "
    "bubblewrap) or pass --sandbox off"
)


@dataclass(frozen=True)
class RunFolder:
    """The folders of one kernel run: box/ is all the kernel may write, the rest is the grader's."""

    root: Path

    @property
    def box(self) -> Path:
        return self.root / "box"

    @property
    def work(self) -> Path:  # the kernel's working folder, with the exercise's data files
        return self.box / "work"

    @property
    def home(self) -> Path:
        return self.box / "home"

    @property
    def tmp(self) -> Path:
        return self.box / "tmp"

    @property
    def kernel_folders(self) -> tuple[Path, ...]:  # what the kernel's user owns
        return (self.box, self.work, self.home, self.tmp)

    def empty(self) -> bool:
        """Remove all a run left in box/ (a slot's run folder serves one run after another),
        however it made it (cleanup.py); whether box/ is empty now (or does not exist)."""
        return not self.box.exists() or remove_tree(self.box, keep_top=True)

    def make(self, sandboxed: bool) -> None:
        """Create the folders; a sandboxed kernel that runs as SANDBOX_UID gets to own box/."""
        for folder in self.kernel_folders:
            folder.mkdir(parents=True, exist_ok=True)
        if sandboxed and os.geteuid() == 0:
            for folder in self.kernel_folders:
                os.chown(folder, SANDBOX_UID, SANDBOX_UID)


def bwrap_path() -> str | None:
    """The bwrap program on PATH, or None."""
    return shutil.which("bwrap")


@functools.cache
def unavailable() -> str | None:
    """Why the sandbox cannot run here (one line), or None when it can."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux; this is {sys.platform}"
    bwrap = bwrap_path()
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    try:
        seccomp_filter()
    except (ImportError, OSError) as exc:
        return f"libseccomp cannot make the sandbox's system-call filter: {exc}"
    if shutil.which("prlimit") is None or (os.geteuid() == 0 and shutil.which("setpriv") is None):
        return "util-linux's prlimit and setpriv are not installed"
    try:
        with tempfile.TemporaryDirectory(prefix="keras-course-probe-") as folder:
            probe = wrap(["/bin/true"], None, rules=filter_file(Path(folder)))
            done = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap cannot run here: {exc}"
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return f"bwrap cannot run here: {reason}"
    return None


def isolation(mode: str) -> str:
    """What a run in this mode gets, "sandbox", "user" or "none"; CourseError when "required"
    cannot be had. Where bwrap cannot run, "auto" runs the kernel as the unprivileged user of
    unprivileged.RUN_AS_ENV, when this grader can (root, and the variable set)."""
    if mode not in SANDBOX_MODES:
        raise CourseError(f"unknown sandbox mode '{mode}' (known: {', '.join(SANDBOX_MODES)})")
    if mode == "off":
        return "none"
    reason = unavailable()
    if reason is None:
        return "sandbox"
    if mode == "required":
        raise CourseError(f"the sandbox cannot run: {reason}; {INSTALL_HINT}")
    return "user" if run_as() is not None else "none"


PACKAGE_MOUNT = Path("/opt/keras-course")  # where the sandbox sees keras_course when it lives elsewhere


def package_folder() -> Path | None:
    """The keras_course package's folder when it is outside the Python environment (an editable
    install in the course folder): the sandbox mounts it alone, under PACKAGE_MOUNT."""
    folder = Path(__file__).resolve().parent.parent  # keras_course/, above run/
    inside = any(p in folder.parents for p in (Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()))
    return None if inside else folder


def readable_paths() -> list[Path]:
    """What a kernel must read: the Python installation and the environment."""
    paths = [Path(sys.base_prefix), Path(sys.prefix)]
    found: list[Path] = []
    for path in paths:
        for candidate in {path, path.resolve()}:
            if candidate.exists() and not any(candidate == p or p in candidate.parents for p in found):
                found = [p for p in found if candidate not in p.parents] + [candidate]
    return sorted(found)


def _dirs_for(path: Path, made: set[Path]) -> list[str]:
    """bwrap arguments that create path's parents, readable by all (bwrap makes them 0700 as root)."""
    args = []
    for parent in reversed(path.parents):
        if parent != Path("/") and parent not in made:
            made.add(parent)
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


@functools.cache
def seccomp_filter() -> bytes:
    """The sandbox's seccomp filter as BPF for bwrap --seccomp: everything is allowed but
    REFUSED_CALLS, which fail with EPERM; a call of another architecture (a 32-bit call on
    x86_64) kills the process, libseccomp's default, so it cannot go around the filter."""
    import pyseccomp  # lazy: Linux only, and only where a sandbox is made

    rules = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    for call in REFUSED_CALLS:
        rules.add_rule(pyseccomp.ERRNO(errno.EPERM), call)
    with tempfile.TemporaryFile() as handle:
        rules.export_bpf(handle)
        handle.seek(0)
        return handle.read()


def filter_file(folder: Path) -> Path:
    """The seccomp filter written into folder (the run folder's root, outside the box)."""
    path = folder / "seccomp.bpf"
    if not path.is_file():
        path.write_bytes(seccomp_filter())
    return path


def wrap(
    command: list[str],
    box: Path | None,
    cwd: Path | None = None,
    as_pid_1: bool = False,
    rules: Path | None = None,
    passed_fds: tuple[int, ...] = (),
) -> list[str]:
    """The bwrap command line that runs command in the sandbox, in cwd, writing only into box;
    as_pid_1 makes command the init of the sandbox's pid namespace, which nothing inside can
    kill (the fork server, forkserver.py). A shell opens the seccomp filter file (rules, by
    default written beside box) for bwrap to read, on a descriptor that is none of passed_fds
    (those the caller hands down to command)."""
    bwrap = bwrap_path() or "bwrap"
    if rules is None:
        assert box is not None, "a sandbox without a box needs its filter file"
        rules = filter_file(box.parent)
    fd = min(set(range(3, 10)) - set(passed_fds))  # a shell's redirection takes one digit
    args = [
        "/bin/sh",
        "-c",
        f'exec {fd}<"$0" && exec "$@"',
        str(rules),
        bwrap,
        "--seccomp",
        str(fd),
        "--unshare-pid",
        *(["--as-pid-1"] if as_pid_1 else []),
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "sandbox",
        "--die-with-parent",
        "--new-session",
        "--unsetenv",
        "JPY_PARENT_PID",  # ipykernel would exit: its parent is pid 1 in the sandbox
    ]
    as_root = os.geteuid() == 0
    if as_root:
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]  # for setpriv, then dropped
    else:
        args += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
    for top in ("bin", "lib", "lib32", "lib64", "libx32", "sbin", "usr"):
        path = Path("/") / top
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    made: set[Path] = set()
    for name in ETC:
        path = Path("/etc") / name
        if path.exists():
            args += _dirs_for(path, made) + ["--ro-bind", str(path), str(path)]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(TMP_MB * 1024 * 1024), "--perms", "1777", "--tmpfs", "/tmp"]
    for path in readable_paths():
        if path.parts[1:2] not in (("usr",), ("bin",), ("lib",)):
            args += _dirs_for(path, made) + ["--ro-bind", str(path), str(path)]
    package = package_folder()
    if package is not None:
        args += _dirs_for(PACKAGE_MOUNT / "keras_course", made)
        args += ["--ro-bind", str(package), str(PACKAGE_MOUNT / "keras_course")]
        args += ["--setenv", "PYTHONPATH", str(PACKAGE_MOUNT)]
    if box is not None:
        args += _dirs_for(box, made) + ["--bind", str(box), str(box), "--chdir", str(cwd or box)]
    if as_root:
        args += drop_to(RunAs("nobody", SANDBOX_UID, SANDBOX_UID))
    return [*args, *command]


def wrap_limited(
    command: list[str],
    box: Path,
    cwd: Path,
    disk_mb: float,
    as_pid_1: bool = False,
    passed_fds: tuple[int, ...] = (),
) -> list[str]:
    """wrap's command line, in which no file may grow past disk_mb (RLIMIT_FSIZE, by prlimit)."""
    return limit_file_size(wrap(command, box, cwd, as_pid_1=as_pid_1, passed_fds=passed_fds), disk_mb)


def limit_file_size(command: list[str], disk_mb: float) -> list[str]:
    """command, in which no file may grow past disk_mb (RLIMIT_FSIZE, by prlimit)."""
    size = int(disk_mb * 1024 * 1024)
    return ["prlimit", f"--fsize={size}:{size}", "--", *command]
