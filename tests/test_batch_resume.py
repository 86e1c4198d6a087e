"""Batch grading loses nothing: a batch stopped by SIGTERM ends its kernels and exits non-zero,
with --resume it grades only what is missing, and a full regrade gives the same gradebook.

The notebooks are cheap (no Keras): each starts a process of its own, waits a second, and sets
hidden_layer_params, so that three learners score 2, 0 and 0 on counting_parameters.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from keras_course.paths import ROOT
from keras_course.result_store import RESULTS_DIR

pytestmark = pytest.mark.notebook
CLI = [sys.executable, "-m", "keras_course"]
LEARNERS = {"ann": 20, "bob": 15, "cy": 26}
GRADEBOOK = (  # learner, the seven exercises in course order, total
    "learner,hello_nets,counting_parameters,build_as_shown,meteor_orbit,dollar_bills,darts,irrigation,total\n"
    "ann,0,2,0,0,0,0,0,2\n"
    "bob,0,0,0,0,0,0,0,0\n"
    "cy,0,0,0,0,0,0,0,0\n"
)


def marker(learner: str) -> str:
    return f"kc-resume-orphan-{learner}"


def make_batch(folder: Path) -> Path:
    for learner, value in LEARNERS.items():
        wait = (
            "import subprocess\nimport sys\nimport time\n\n"
            f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', '{marker(learner)}'])\n"
            "time.sleep(1)"
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


def grade(folder: Path, csv: Path, *extra: str, **popen) -> subprocess.CompletedProcess:
    args = [*CLI, "grade", folder, "--csv", csv, "--timeout", "60", *extra]
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
    folder = make_batch(tmp_path / "batch")
    stored = folder / RESULTS_DIR
    args = [*CLI, "grade", folder, "--csv", tmp_path / "cut.csv", "--jobs", "1", "--timeout", "60"]
    batch = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    running = []
    until = time.monotonic() + 120
    while time.monotonic() < until and batch.poll() is None:  # a result stored, a kernel at work
        done = {p.parent.name for p in stored.glob("*/*.json")}
        running = [p for learner in LEARNERS if learner not in done for p in processes_with(marker(learner))]
        if done and running:
            break
        time.sleep(0.1)
    assert done and running, "the batch ended before it could be stopped"
    kernel = running[0].parent()  # the notebook's own process was started by its kernel

    batch.send_signal(signal.SIGTERM)
    _, err = batch.communicate(timeout=60)

    assert batch.returncode == 128 + signal.SIGTERM, err.decode()[-2000:]
    assert "interrupted" in err.decode()
    for process in [*running, kernel]:
        assert not process.is_running() or process.status() == psutil.STATUS_ZOMBIE, process
    assert all(processes_with(marker(learner)) == [] for learner in LEARNERS)
    kept = {p: p.stat().st_mtime_ns for p in stored.glob("*/*.json")}
    assert 1 <= len(kept) < len(LEARNERS)

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
