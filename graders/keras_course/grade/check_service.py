"""The check service: grades a sandboxed kernel's variables outside the sandbox, for nbgrader.

nbgrader runs its autograded test cells inside the learner's kernel, but the checks on held-out
data must run where the kernel cannot reach that data. So the kernel provisioner
(sandbox_provisioner.py) starts this service beside each kernel of `nbgrader autograde`: a
thread in nbgrader's own process, listening on a Unix socket in the kernel's run folder (the
socket's path is in the kernel's environment, CHECKS_ENV). A test cell
(notebook_checks.assert_passes) exports the kernel's variables into the run folder and sends one JSON
line; the service copies the export out without following links (export_copy.py), grades the
copy with the pytest graders in a fresh process, and answers with the result as JSON.

Requests: {"op": "prepare", "exercise": ID} answers the seed the grader gives every run and
the variables it grades;
{"op": "grade", "exercise": ID, "export": "export-<32 hex>"} answers {"result": ...}. Anything
else, or more than MAX_GRADINGS gradings, answers {"error": ...}. The kernel learns nothing
through it but the verdict on its own variables.

A request comes from the learner's code, so it is read as hostile: at most MAX_REQUEST_BYTES,
nested at most MAX_NESTING deep (counted before the JSON parser, which recurses, sees it), and
UTF-8 JSON. Whatever goes wrong with one request (these, or a failure of its grading) ends that
request with an error answer, never the service's thread.
"""

from __future__ import annotations

import json
import os
import re
import socket
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path

from keras_course.course.config import load_course
from keras_course.course.errors import CourseError, ExportError
from keras_course.grade.grading import grade_artifacts
from keras_course.run.export_copy import collect_export
from keras_course.run.inside.check_client import CHECKS_ENV, LineTooLong, read_line
from keras_course.run.notebook_file import read_notebook
from keras_course.run.outcome import RUN_FILE, place_cell_errors

SOCKET_NAME = "checks.sock"
MAX_REQUEST_BYTES = 64 * 1024
MAX_NESTING = 4  # a request is one flat object
MAX_GRADINGS = 20  # per kernel: the checks of one notebook need one or two
STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')  # JSON strings, whose brackets do not nest


def answer(request: object, box: Path, workdir: Path, count: int, notebooks: Path | None = None) -> dict:
    """The answer to one request of a kernel whose run folder is box; notebooks is the folder of
    the notebook the kernel runs (nbgrader's autograded/<learner>/<assignment>/), where its
    cells' positions are found for the cell errors."""

    if not isinstance(request, dict):
        return {"error": "a request is a JSON object"}
    try:
        exercise = load_course().exercise(str(request.get("exercise")))
    except CourseError as exc:
        return {"error": str(exc)}
    if request.get("op") == "prepare":
        return {"seed": load_course().seed, "variables": list(exercise.variables)}
    if request.get("op") != "grade":
        return {"error": "unknown request"}
    if count > MAX_GRADINGS:
        return {"error": f"the checks were asked more than {MAX_GRADINGS} times"}
    target = workdir / f"export-{count}"
    try:
        collect_export(box, str(request.get("export")), target)
    except ExportError as exc:
        return {"error": f"the grader could not read your variables back: {exc}"}
    if notebooks is not None:
        place_cells(target / RUN_FILE, notebooks / f"{exercise.id}.ipynb")
    return {"result": asdict(grade_artifacts(target, exercise.id))}


class BadRequest(ValueError):
    """What is wrong with a request, in words the kernel is told."""


def receive(connection: socket.socket, limit: int | None = MAX_REQUEST_BYTES) -> bytes:
    """What the other end sends up to its first newline, or until it closes; BadRequest once
    that is more than limit bytes (None: no limit, for the service's own answers)."""
    try:
        return read_line(connection, limit)
    except LineTooLong:
        raise BadRequest("the request is too large") from None


def parse(raw: bytes) -> object:
    """The request's JSON value, or BadRequest: not UTF-8, nested too deep, or not JSON."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the request is not UTF-8") from None
    if nesting(text) > MAX_NESTING:
        raise BadRequest(f"the request is nested more than {MAX_NESTING} deep")
    try:
        return json.loads(text or "null")
    except ValueError:
        raise BadRequest("the request is not JSON") from None


def nesting(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest, its strings aside."""
    depth = deepest = 0
    for bracket in re.sub(r"[^\[\]{}]", "", STRINGS.sub('""', text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def place_cells(run_file: Path, notebook: Path) -> None:
    """Name the cells of the recorded cell errors by their position in the notebook."""
    try:
        recorded = json.loads(run_file.read_text(encoding="utf-8"))
        errors = recorded["cell_errors"]
        nb = read_notebook(notebook)
    except (OSError, ValueError, KeyError, TypeError, CourseError):
        return  # the errors keep their execution counts
    if isinstance(errors, list):
        recorded["cell_errors"] = place_cell_errors(errors, nb)
        run_file.write_text(json.dumps(recorded), encoding="utf-8")


class CheckService:
    """One kernel's check service: `start()` listens on box/checks.sock, `stop()` ends it. The
    kernel provisioner starts it by name (sandbox_provisioner.load_service) and tells the kernel
    its socket in ENV."""

    ENV = CHECKS_ENV

    def __init__(self, box: Path, notebooks: Path | None = None) -> None:
        self.box = box
        self.notebooks = notebooks
        self.socket_path = box / SOCKET_NAME
        self._workdir = tempfile.TemporaryDirectory(prefix="keras-course-checks-")
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(self.socket_path))
        os.chmod(self.socket_path, 0o666)  # the kernel runs as another user; the folder is private
        self._server.listen(4)
        self._gradings = 0
        self._thread = threading.Thread(target=self._serve, name="keras-course-checks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return  # stopped
            with connection:
                self._handle(connection)

    def _handle(self, connection: socket.socket) -> None:
        """Answer one request: a broken one, or one whose grading failed, with an error."""
        try:
            connection.settimeout(30)
            reply = self._reply(receive(connection))
        except BadRequest as exc:
            reply = {"error": str(exc)}
        except Exception as exc:  # the grader's failure on this request: its type, no detail
            reply = {"error": f"the check service failed on this request ({type(exc).__name__})"}
        try:
            connection.sendall(json.dumps(reply).encode("utf-8") + b"\n")
        except OSError:
            pass  # the kernel has gone, or stopped listening

    def _reply(self, raw: bytes) -> dict:
        request = parse(raw)
        if isinstance(request, dict) and request.get("op") == "grade":
            self._gradings += 1
        return answer(request, self.box, Path(self._workdir.name), self._gradings, self.notebooks)

    def stop(self) -> None:
        try:
            self._server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._server.close()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._workdir.cleanup()
