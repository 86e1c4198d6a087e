# The honest learner after a hostile one in the same slot: it must find nothing of it.
import ctypes
import os
import pathlib
import platform
import sys

server = pathlib.Path(f"/proc/{os.getppid()}/cmdline").read_bytes()
assert b"keras_course.run.inside.forkserver_init" in server, "this kernel was not forked by the slot's server"
own = [0] + [getattr(stream, "_original_stdstream_copy", 1) for stream in (sys.stdout, sys.stderr)]
for fd in own:  # standard input, and output and error as the kernel started with them
    assert os.readlink(f"/proc/self/fd/{fd}") == "/dev/null", (
        f"descriptor {fd}: {os.readlink(f'/proc/self/fd/{fd}')}"
    )
for folder in ("/tmp", "/dev/shm", os.environ["HOME"], "."):
    left = [name for name in os.listdir(folder) if name.startswith("hostile")]
    assert not left, f"found {left} in {folder}"
others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getppid(), os.getpid())]
assert not others, "processes of the learner before: " + ", ".join(
    pathlib.Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace") for p in others
)
for kind in ("shm", "msg", "sem"):
    rows = pathlib.Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
    assert not rows, f"System V {kind} left: {rows}"
rt = ctypes.CDLL("librt.so.1", use_errno=True)
assert rt.mq_open(b"/hostile-queue", os.O_RDONLY, 0, None) == -1, "a POSIX message queue was left"
REQUEST_KEY = {"x86_64": 249, "aarch64": 218}[platform.machine()]  # the system call's number
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
for keyring in (-4, -3):  # the user and the session keyrings
    assert libc.syscall(REQUEST_KEY, b"user", b"hostile-key", None, keyring) == -1, "a key was left"
free = os.statvfs("/tmp")
assert free.f_bavail * free.f_frsize > 60 * 1024 * 1024, "/tmp is full"
