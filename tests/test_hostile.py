"""Hostile and broken submissions, graded for real: each gets the honest verdict, nothing is lost.

tests/hostile/<batch>/<learner>/<exercise>.ipynb are the submissions and tests/hostile/expected.toml
the result each must get. Each batch is graded once by `keras-course grade`, with its limits;
then every result is checked against its line of the table, and no process a notebook started
may be left. The `sandbox` batch tries to get out of the Linux sandbox (read and write the
course, the network, signals, a bounded fork flood, a full disk); its test also checks that the
server, the process and every file outside the runs are untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from keras_course.course.config import tomllib
from keras_course.course.paths import ROOT
from keras_course.grade.result_store import RESULTS_DIR

HOSTILE = Path(__file__).resolve().parent / "hostile"
EXPECTED = tomllib.loads((HOSTILE / "expected.toml").read_text(encoding="utf-8"))
LIMITS = {
    "limits": ["--timeout", "20", "--memory", "500"],  # 20 s: room for a loaded machine
    "submissions": ["--timeout", "60", "--memory", "1500"],
    "sandbox": ["--timeout", "60", "--memory", "1500", "--sandbox", "required"],
}
MARKER = "kc-hostile-orphan"  # in the command line of every process the notebooks start; each
# graded copy gets a marker of its own (grade_batch), so that no other batch, test or run of
# this test on the machine is mistaken for what this batch left behind
SECRET = "KC_HOSTILE_SECRET"  # in the grader's environment; the sandbox notebook looks for it
CLI = [sys.executable, "-m", "keras_course"]


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if marker.encode() in handle.read():
                    found.append(int(entry))
        except (OSError, ValueError):
            continue
    return found


def copy_batch(batch: str, tmp_path: Path, placeholders: dict[str, str] | None = None) -> tuple[Path, str]:
    """A copy of the batch whose notebooks mark their processes with a marker unique to this run,
    with placeholders replaced; the copy's folder and that marker."""
    folder = tmp_path / batch
    shutil.copytree(HOSTILE / batch, folder)
    marker = f"{MARKER}-{uuid.uuid4().hex}"
    replace = {MARKER: marker, **(placeholders or {})}
    for notebook in folder.glob("*/*.ipynb"):
        text = notebook.read_text(encoding="utf-8")
        for placeholder, value in replace.items():
            text = text.replace(placeholder, value)
        notebook.write_text(text, encoding="utf-8")
    return folder, marker


def grade_copy(folder: Path, batch: str, tmp_path: Path) -> tuple[dict, subprocess.CompletedProcess]:
    """The results by learner of `keras-course grade` on a copied batch, and its output."""
    report = tmp_path / f"{batch}.json"
    out = subprocess.run(
        [*CLI, "grade", folder, "--json", report, "--jobs", "2", *LIMITS[batch]],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, **{SECRET: "hunter2"}),
    )
    assert out.returncode == 0, out.stderr[-3000:]
    results = json.loads(report.read_text(encoding="utf-8"))["results"]
    return {r["learner"]: r for r in results if r["error"] != "not submitted"}, out


def problems(result: dict, expected: dict) -> list[str]:
    """What is wrong with one result, as the table describes it; [] when it is right."""
    found = []
    checks = {c["name"]: c for c in result["checks"]}
    if result["exercise"] != expected["exercise"]:
        found.append(f"graded as {result['exercise']}")
    error = result["error"] or ""
    if expected["error"] and expected["error"] not in error:
        found.append(f"error {error!r} lacks {expected['error']!r}")
    if not expected["error"] and error:
        found.append(f"unexpected error {error!r}")
    if "\n" in error:
        found.append("the error is more than one line")
    if result["score"] > expected["max_score"]:
        found.append(f"scored {result['score']} > {expected['max_score']}")
    if result["score"] != sum(c["points"] for c in result["checks"]):
        found.append("the score is not the sum of the checks")
    for name in expected.get("fails", []):
        if checks[name]["passed"]:
            found.append(f"check {name} passed")
    for name, piece in expected.get("feedback", {}).items():
        if piece not in checks[name]["feedback"]:
            found.append(f"{name} feedback {checks[name]['feedback']!r} lacks {piece!r}")
    if "score" in expected and result["score"] != expected["score"]:
        found.append(f"scored {result['score']}, not {expected['score']}")
    if "cell_error" in expected and not any(expected["cell_error"] in e for e in result["cell_errors"]):
        found.append(f"no cell error with {expected['cell_error']!r}: {result['cell_errors']}")
    return found


@pytest.mark.notebook
@pytest.mark.parametrize("batch", ["submissions", "limits"])
def test_each_hostile_submission_gets_its_honest_verdict(batch, tmp_path):
    folder, marker = copy_batch(batch, tmp_path)
    results, out = grade_copy(folder, batch, tmp_path)

    assert set(results) == set(EXPECTED[batch])
    wrong = {learner: problems(results[learner], spec) for learner, spec in EXPECTED[batch].items()}
    assert {learner: p for learner, p in wrong.items() if p} == {}
    assert processes_with(marker) == [], "processes started by the notebooks outlived the batch"
    assert "hunter2" not in out.stdout + out.stderr


@pytest.mark.notebook
def test_check_prints_the_graders_verdict_not_the_notebooks(tmp_path):
    """`check` on a notebook that prints a forged result JSON and then runs out of memory, in a
    file whose name has spaces and accents: its output is the grader's one JSON document."""
    source = HOSTILE / "submissions" / "writes_results" / "counting_parameters.ipynb"
    nb = json.loads(source.read_text(encoding="utf-8"))
    hog = {"id": "hog", "cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None}
    nb["cells"].append({**hog, "source": "import numpy as np\n\nbig = np.ones(600_000_000)"})
    notebook = tmp_path / "mi cuaderno ñ 1.ipynb"
    notebook.write_text(json.dumps(nb), encoding="utf-8")

    limits = ["--timeout", "60", "--memory", "300"]
    out = subprocess.run(
        [*CLI, "check", notebook, "--exercise", "counting_parameters", "--json", *limits],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )

    assert out.returncode == 1, out.stderr[-3000:]
    (result,) = json.loads(out.stdout)["results"]
    assert result["error"] == "the notebook used more than 300 MB of memory"
    assert result["score"] == 0


def fingerprints(*folders: Path, skip: str = RESULTS_DIR) -> dict[str, str]:
    """sha256 of every file below folders, or of the file given (links and the result store aside)."""
    found = {}
    for folder in folders:
        for path in [folder] if folder.is_file() else sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink() and skip not in path.parts:
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def environment_files() -> dict[str, str]:
    """The Python environment's files by name, size and modification time (hashing every file of
    TensorFlow would take a minute): a file added or changed shows."""
    found = {}
    for top in {Path(sys.prefix), Path(sysconfig.get_paths()["purelib"])}:
        for path in top.iterdir():
            info = path.lstat()
            found[str(path)] = f"{info.st_size} {info.st_mtime_ns}"
    return found


@contextmanager
def loopback_server() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP server on 127.0.0.1 that records what connects to it, for the network case."""
    received: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            with connection:
                received.append(connection.recv(100) or b"(connected)")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], received
    finally:
        done.set()
        thread.join()
        server.close()


@pytest.mark.notebook
def test_sandboxed_notebooks_reach_nothing_outside_their_folder(tmp_path):
    """Reading the course and other learners' work, writing into the course and the environment,
    the network, signals, a fork flood and a full disk: each gets its honest verdict in the
    sandbox, the batch goes on, nothing is left running, and no file outside the runs changes."""
    token = secrets.token_hex(8)
    victim = subprocess.Popen(["sleep", "300"])
    with loopback_server() as (port, received):
        places = {
            "@COURSE@": str(ROOT),
            "@BATCH@": str(tmp_path / "sandbox"),
            "@PORT@": str(port),
            "@VICTIM@": str(victim.pid),
            "@TOKEN@": token,
        }
        folder, marker = copy_batch("sandbox", tmp_path, places)
        before = fingerprints(
            ROOT / "course.toml", ROOT / "graders", ROOT / "solutions", ROOT / "datasets", folder
        )
        environment = environment_files()

        results, _ = grade_copy(folder, "sandbox", tmp_path)

    try:
        assert set(results) == set(EXPECTED["sandbox"])
        wrong = {learner: problems(results[learner], spec) for learner, spec in EXPECTED["sandbox"].items()}
        assert {learner: p for learner, p in wrong.items() if p} == {}
        assert all(result["isolation"] == "sandbox" for result in results.values())
        assert received == [], "a sandboxed notebook reached a server on 127.0.0.1"
        assert victim.poll() is None, "a sandboxed notebook killed a process outside the sandbox"
        assert processes_with(marker) == [], "the fork flood outlived its run"
        after = fingerprints(
            ROOT / "course.toml", ROOT / "graders", ROOT / "solutions", ROOT / "datasets", folder
        )
        assert after == before
        assert environment_files() == environment
        assert not Path(tempfile.gettempdir(), f"kc-evil-{token}").exists()
    finally:
        victim.kill()
        victim.wait()
