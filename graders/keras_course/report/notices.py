"""One-line notices on stderr for whoever runs a command: what went wrong that is nobody's
result, such as a file not graded or a clean-up that failed. Low in the package, so that the
batch itself can warn without a traceback and the command's front end words it the same way."""

from __future__ import annotations

import sys


def warn(message: str) -> None:
    """`keras-course: warning: MESSAGE`, one line on stderr."""
    print(f"keras-course: warning: {' '.join(message.splitlines())}", file=sys.stderr)
