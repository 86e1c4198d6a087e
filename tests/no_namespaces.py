"""Run a command as in a Docker container that refuses new namespaces, such as Gradescope's.

Docker's default seccomp profile, for a container without CAP_SYS_ADMIN, lets `clone` make no
new namespace, refuses `unshare` and `setns`, and answers `clone3` with ENOSYS (so that the C
library falls back to `clone`, whose flags a filter can read). This loads the same rules, then
runs the command: bubblewrap then fails in it as it does in such a container, for real.

    python tests/no_namespaces.py COMMAND [ARGS...]
"""

from __future__ import annotations

import errno
import os
import sys

import pyseccomp

# The namespace flags of clone(2): CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET.
NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)


def refuse_namespaces() -> None:
    """Load, into this process and all it starts, a filter that refuses every new namespace."""
    rules = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    for flag in NAMESPACE_FLAGS:
        rules.add_rule(
            pyseccomp.ERRNO(errno.EPERM), "clone", pyseccomp.Arg(0, pyseccomp.MASKED_EQ, flag, flag)
        )
    for call in ("unshare", "setns"):
        rules.add_rule(pyseccomp.ERRNO(errno.EPERM), call)
    rules.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "clone3")
    rules.load()


if __name__ == "__main__":
    refuse_namespaces()
    os.execvp(sys.argv[1], sys.argv[1:])
