"""Batch grading loses nothing: a batch stopped by SIGTERM ends its kernels and exits non-zero,
with --resume it grades only what is missing, and a full regrade gives the same gradebook.

The notebooks are cheap (no Keras): each starts a process of its own, waits until the test
opens its gate (a file), and sets hidden_layer_params, so that three learners score 2, 0 and 0
on counting_parameters. The gates make the order of events certain: the batch is stopped while
the second learner's notebook is known to be running, whatever the machine's load.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
from keras_course.course.paths import ROOT
from keras_course.grade.result_store import RESULTS_DIR

pytestmark = pytest.mark.notebook
CLI = [sys.executable, "-m", "keras_course"]
LEARNERS = {"ann": 20, "bob": 15, "cy": 26}
GRADEBOOK = (  # learner, name, the seven exercises in course order, total; not submitted is empty
    "learner,name,hello_nets,counting_parameters,build_as_shown,meteor_orbit,dollar_bills,darts,irrigation,total\n"
    "max points,,4,6,4,10,9,12,10,55\n"
    "ann,ann,,2,,,,,,2\n"
    "bob,bob,,0,,,,,,0\n"
    "cy,cy,,0,,,,,,0\n"
)


def make_batch(folder: Path, gates: Path, run: str) -> Path:
    """Each learner's notebook starts a process whose command line carries this run's marker,
    then waits for the file gates/<learner> (at most 60 s) before it sets its value."""
    gates.mkdir(parents=True, exist_ok=True)
    for learner, value in LEARNERS.items():
        wait = (
            "import os\nimport subprocess\nimport sys\nimport time\n\n"
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', "
            f"'{marker(run, learner)}'])\n"
            "until = time.monotonic() + 60\n"
            f"while not os.path.exists({str(gates / learner)!r}) and time.monotonic() < until:\n"
            "    time.sleep(0.05)"
        )
        sources = (wait, f"hidden_layer_params = {value}")
        cells = [
            {"id": f"c{i}", "cell_type": "code", "metadata": {}, "source": source, "outputs": []}
            for i, source in enumerate(sources)
        ]
        for cell in cells:
            cell["execution_count"] = None
        kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb = {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}
        (folder / learner).mkdir(parents=True)
        (folder / learner / "counting_parameters.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return folder


def marker(run: str, learner: str) -> str:
    """In the command line of the process a learner's notebook starts: unique to this test run,
    so that no other test, and no other run of this one on the machine, is mistaken for it."""
    return f"kc-resume-orphan-{run}-{learner}"


def open_gate(gates: Path, *learners: str) -> None:
    for learner in learners:
        (gates / learner).touch()


def grade(folder: Path, csv: Path, *extra: str, **popen) -> subprocess.CompletedProcess:
    """`keras-course grade` without the sandbox: the notebooks wait for the test's gate files,
    which a sandboxed kernel could not see (test_sandbox.py covers --resume and isolation)."""
    args = [*CLI, "grade", folder, "--csv", csv, "--timeout", "60", "--sandbox", "off", *extra]
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, **popen)


def processes_with(text: str) -> list[psutil.Process]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if text.encode() in handle.read():
                    found.append(psutil.Process(int(entry)))
        except (OSError, ValueError, psutil.Error):
            continue
    return found


def test_a_stopped_batch_resumes_and_a_regrade_gives_the_same_gradebook(tmp_path):
    """SIGTERM mid-batch, then --resume, then a full regrade: the same gradebook, byte for byte."""
    run = uuid.uuid4().hex
    gates = tmp_path / "gates"
    folder = make_batch(tmp_path / "batch", gates, run)
    stored = folder / RESULTS_DIR
    open_gate(gates, "ann")  # ann finishes; bob's notebook waits, running, until the batch is stopped
    args = [*CLI, "grade", folder, "--csv", tmp_path / "cut.csv", "--jobs", "1", "--timeout", "60"]
    args += ["--sandbox", "off"]  # see grade()
    batch = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    running = []
    until = time.monotonic() + 120
    while time.monotonic() < until and batch.poll() is None:  # ann's result stored, bob's kernel at work
        done = {p.parent.name for p in stored.glob("*/*.json")}
        running = processes_with(marker(run, "bob"))
        if done == {"ann"} and running:
            break
        time.sleep(0.1)
    assert done == {"ann"} and running, "the batch ended before it could be stopped"
    kernel = running[0].parent()  # the notebook's own process was started by its kernel

    batch.send_signal(signal.SIGTERM)
    _, err = batch.communicate(timeout=60)

    assert batch.returncode == 128 + signal.SIGTERM, err.decode()[-2000:]
    assert "interrupted" in err.decode()
    for process in [*running, kernel]:
        assert not process.is_running() or process.status() == psutil.STATUS_ZOMBIE, process
    assert all(processes_with(marker(run, learner)) == [] for learner in LEARNERS)
    kept = {p: p.stat().st_mtime_ns for p in stored.glob("*/*.json")}
    assert [p.parent.name for p in kept] == ["ann"]
    open_gate(gates, *LEARNERS)

    resumed = grade(folder, tmp_path / "resumed.csv", "--resume", "--jobs", "2")

    assert resumed.returncode == 0, resumed.stderr[-2000:]
    graded = [line for line in resumed.stderr.splitlines() if line.startswith("graded ")]
    assert len(graded) == len(LEARNERS) - len(kept)
    assert {p: p.stat().st_mtime_ns for p in kept} == kept  # the stored results were kept as they were
    assert (tmp_path / "resumed.csv").read_text(encoding="utf-8") == GRADEBOOK

    regraded = grade(folder, tmp_path / "regraded.csv", "--jobs", "2", "--results-dir", tmp_path / "store")

    assert regraded.returncode == 0, regraded.stderr[-2000:]
    assert len([line for line in regraded.stderr.splitlines() if line.startswith("graded ")]) == len(LEARNERS)
    assert (tmp_path / "regraded.csv").read_bytes() == (tmp_path / "resumed.csv").read_bytes()
    assert sorted(p.parent.name for p in (tmp_path / "store").glob("*/*.json")) == sorted(LEARNERS)
