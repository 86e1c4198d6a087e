# System V shared memory, message queues and semaphores, which outlive their processes, and a
# POSIX message queue, which `ipcrm --all` does not remove.
import ctypes
import os
import subprocess

for kind in ("--shmem", "--queue", "--semaphore"):
    subprocess.run(["ipcmk", kind, "4096" if kind == "--shmem" else "1"], check=True, capture_output=True)
rt = ctypes.CDLL("librt.so.1", use_errno=True)
queue = rt.mq_open(b"/hostile-queue", os.O_CREAT | os.O_RDWR, 0o666, None)
with open("hostile-mq.txt", "w") as note:
    note.write(f"mq_open gave {queue}, errno {ctypes.get_errno()}")
