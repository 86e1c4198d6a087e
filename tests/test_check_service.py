"""The check service (grade/check_service.py) that nbgrader's test cells ask from inside the
sandbox answers every request, a broken one with an error, and goes on: a request nested
100,000 deep or within its size, one of 10 MB, one that is not JSON or not UTF-8. What it copies
out of the kernel's reach holds only the bytes it checked: a file that grows while it is copied
is copied as it was when its size was checked (run/export_copy.collect_export).
No kernel runs here; the service runs in this process, as in nbgrader's."""

from __future__ import annotations

import ctypes
import json
import os
import select
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from keras_course.course.config import load_course
from keras_course.grade.check_service import CheckService, receive
from keras_course.run.export_copy import collect_export
from keras_course.run.inside.check_client import ask

IN_ACCESS = 0x1  # inotify: a file was read
REQUESTS = {
    "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000 + b"\n",
    "nested 30,000 deep, within the size": b"[" * 30_000 + b"]" * 30_000 + b"\n",
    "10 MB": b'{"op": "prepare", "exercise": "' + b"x" * 10_000_000 + b'"}\n',
    "not JSON": b"not json\n",
    "not UTF-8": b'{"op": "\xff\xfe"}\n',
}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[CheckService]:
    box = tmp_path / "box"
    box.mkdir()
    checks = CheckService(box)
    checks.start()
    yield checks
    checks.stop()


def send_all(connection: socket.socket, raw: bytes) -> None:
    try:
        connection.sendall(raw)
    except OSError:
        pass  # the service answered and closed before it read it all


def request(socket_path: Path, raw: bytes) -> dict:
    """Send raw as one request, from a thread (the service may answer before it has read it
    all), and read the answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(30)
        connection.connect(str(socket_path))
        threading.Thread(target=send_all, args=(connection, raw), daemon=True).start()
        answer = receive(connection, limit=None)
    return json.loads(answer.decode("utf-8") or "null")


@pytest.mark.parametrize("raw", REQUESTS.values(), ids=REQUESTS.keys())
def test_a_broken_request_gets_an_error_answer_and_the_service_goes_on(service, raw):
    answer = request(service.socket_path, raw)

    assert isinstance(answer, dict) and set(answer) == {"error"}, answer
    prepared = ask(str(service.socket_path), {"op": "prepare", "exercise": "hello_nets"}, timeout=30)
    assert prepared == {"seed": load_course().seed, "variables": ["model"]}


@contextmanager
def growing_on_each_read(path: Path, block: bytes, times: int) -> Iterator[None]:
    """A thread that appends block to path each time the file is read (inotify), times at most,
    until the block of the with statement has ended and every read it made has been answered."""
    libc = ctypes.CDLL(None, use_errno=True)
    events = libc.inotify_init1(os.O_CLOEXEC)
    assert events >= 0 and libc.inotify_add_watch(events, str(path).encode(), IN_ACCESS) >= 0
    stop, stopping = os.pipe()

    def grow() -> None:
        with open(path, "ab") as out:
            for _ in range(times):
                if events not in select.select([events, stop], [], [], 30)[0]:
                    return
                os.read(events, 4096)
                out.write(block)
                out.flush()

    writer = threading.Thread(target=grow, daemon=True)
    writer.start()
    try:
        yield
    finally:
        os.write(stopping, b"x")
        writer.join(timeout=30)
        for fd in (events, stop, stopping):
            os.close(fd)


@pytest.mark.parametrize("attempt", range(3))  # the file grows as fast as its reader can see it
def test_a_file_that_grows_while_it_is_copied_is_copied_as_it_was_checked(tmp_path, attempt):
    box = tmp_path / "box"
    export = box / f"export-{'0' * 32}"
    export.mkdir(parents=True)
    checked = 16 << 20
    (export / "preds.npy").write_bytes(b"a" * checked)

    with growing_on_each_read(export / "preds.npy", b"b" * (4 << 20), times=16):
        collect_export(box, export.name, tmp_path / "copy")

    assert (export / "preds.npy").stat().st_size > checked  # it grew as it was read
    copied = (tmp_path / "copy" / "preds.npy").read_bytes()
    assert len(copied) == checked and copied.count(b"a") == checked
