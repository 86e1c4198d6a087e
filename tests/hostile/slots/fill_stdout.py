# Fill the kernel's own standard output and error, as the kernel started with them (ipykernel
# keeps a copy of each while it captures the descriptors): a pipe that nobody reads fills at
# 64 KiB, and every later kernel of the slot would block on its start-up lines.
import fcntl
import os
import sys

block = b"hostile output\n" * 4096
for stream in (sys.stdout, sys.stderr):
    fd = getattr(stream, "_original_stdstream_copy", None)
    assert fd is not None, "ipykernel keeps no copy of the kernel's own descriptors"
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
    try:
        for _ in range(64):  # 3.5 MiB each
            os.write(fd, block)
    except BlockingIOError:
        pass  # full: the next kernels' start-up lines would block
