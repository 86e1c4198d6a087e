# Read the kernel's standard input: where it is the grader's terminal, this steals what the
# instructor types, and waits for it.
import os
import select

if select.select([0], [], [], 1)[0]:
    os.read(0, 4096)
with open("hostile-stdin.txt", "w") as note:
    note.write(os.readlink("/proc/self/fd/0"))
