"""The check service's client, in the learner's kernel: nbgrader's test cells ask the service
(grade/check_service.py, outside the sandbox) for the verdict on the variables they exported."""

from __future__ import annotations

import json
import socket

CHECKS_ENV = "KERAS_COURSE_CHECKS"  # in the kernel's environment: the service's socket


class LineTooLong(ValueError):
    """The other end sent more than the reader takes before its newline."""


def read_line(connection: socket.socket, limit: int | None = None) -> bytes:
    """What the other end sends up to its first newline, or until it closes; LineTooLong once
    that is more than limit bytes (None: no limit)."""
    raw = b""
    while not raw.endswith(b"\n"):
        block = connection.recv(65536)
        if not block:
            break
        raw += block
        if limit is not None and len(raw) > limit:
            raise LineTooLong(f"more than {limit} bytes")
    return raw


def ask(socket_path: str, request: dict, timeout: float = 600) -> dict:
    """Send one request to the check service and return its one-line answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(timeout)
        connection.connect(socket_path)
        connection.sendall(json.dumps(request).encode("utf-8") + b"\n")
        raw = read_line(connection)
    return json.loads(raw.decode("utf-8"))
