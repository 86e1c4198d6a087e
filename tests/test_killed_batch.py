"""A batch killed without a word (SIGKILL) mid-notebook leaves no process; the next batch removes
the slot folders and cgroups it left, and `--resume` finishes what it started.

Three learners hand in hello_nets, graded in one warm slot: ann's notebook is the reference,
bob's waits (for a file named `go` in its working folder, at most WAIT seconds) before it
finishes, cy's is the reference. The batch is killed while bob's kernel runs.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from keras_course.course.paths import ROOT, SOLUTIONS
from keras_course.grade.slots import SLOT_PREFIX
from keras_course.run.cgroups import PREFIX as CGROUP_PREFIX
from keras_course.run.cgroups import _parents
from keras_course.run.leftovers import owner_tag
from keras_course.run.sandbox import unavailable

pytestmark = [
    pytest.mark.notebook,
    pytest.mark.skipif(unavailable() is not None, reason=f"no sandbox here: {unavailable()}"),
]
CLI = [sys.executable, "-m", "keras_course", "grade"]
WAIT = 30  # seconds bob's notebook waits for its file at most
WAITING = f"""
import os, time
until = time.monotonic() + {WAIT}
while not os.path.exists("go") and time.monotonic() < until:
    time.sleep(0.05)
"""


def hand_in(folder: Path) -> None:
    for learner in ("ann", "bob", "cy"):
        nb = nbformat.read(SOLUTIONS / "hello_nets.ipynb", as_version=4)
        if learner == "bob":
            nb.cells.insert(len(nb.cells) - 1, nbformat.v4.new_code_cell(WAITING))
        (folder / learner).mkdir(parents=True)
        nbformat.write(nb, folder / learner / "hello_nets.ipynb")


def tags(processes: list[psutil.Process]) -> list[str]:
    """The owner tags (run/leftovers.py) of these processes, as their folders and cgroups carry them."""
    return [owner_tag(p.pid) for p in processes if p.is_running()]


def left_by(owners: list[str]) -> list[str]:
    """The slot folders and cgroups named after one of these owners."""
    temp = Path(tempfile.gettempdir())
    found = [str(p) for tag in owners for p in temp.glob(f"{SLOT_PREFIX}{tag}*")]
    return found + [
        str(p) for parent in _parents() for tag in owners for p in parent.glob(f"{CGROUP_PREFIX}{tag}*")
    ]


def running_kernel_groups(owners: list[str]) -> list[Path]:
    """The kernel cgroups of these owners that hold a process."""
    groups = [Path(p) for p in left_by(owners) if "/sys/fs/cgroup" in p]
    return [g for g in groups if (g / "cgroup.procs").is_file() and (g / "cgroup.procs").read_text().split()]


def let_bob_go(owner: str, stop: threading.Event) -> None:
    """Write `go` into every working folder of the slots of this batch as soon as it appears."""
    while not stop.wait(0.1):
        for work in Path(tempfile.gettempdir()).glob(f"{SLOT_PREFIX}{owner}*/box/work"):
            try:
                (work / "go").touch()
            except OSError:
                pass


def test_a_killed_batch_leaves_no_process_and_the_next_cleans_up_and_resumes(tmp_path):
    folder = tmp_path / "batch"
    hand_in(folder)
    args = [*CLI, str(folder), "--jobs", "1", "--json", str(tmp_path / "cut.json")]
    batch = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=ROOT)
    assert batch.stderr is not None
    line = batch.stderr.readline()
    assert line.startswith("graded ann/hello_nets"), line
    family = [psutil.Process(batch.pid), *psutil.Process(batch.pid).children(recursive=True)]
    owners = tags(family)
    until = time.monotonic() + WAIT
    while not running_kernel_groups(owners) and time.monotonic() < until:
        time.sleep(0.1)
        family += [p for p in psutil.Process(batch.pid).children(recursive=True) if p not in family]
        owners = sorted(set(owners) | set(tags(family)))
    assert running_kernel_groups(owners), "bob's kernel did not start"
    made = left_by(owners)  # its slot folder and cgroups, which a killed batch cannot remove
    assert any("/sys/fs/cgroup" in p for p in made) and any(SLOT_PREFIX in p for p in made), made

    batch.send_signal(signal.SIGKILL)
    batch.wait()

    deadline = time.monotonic() + 10
    while (
        any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in family)
        and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    alive = [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], f"processes of the killed batch still run: {alive}"
    assert not (tmp_path / "cut.json").exists()

    resume = subprocess.Popen(
        [*CLI, str(folder), "--jobs", "1", "--resume", "--json", str(tmp_path / "resumed.json")],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    resumer = owner_tag(resume.pid)
    stop = threading.Event()
    helper = threading.Thread(target=let_bob_go, args=(resumer, stop), daemon=True)
    helper.start()
    _, err = resume.communicate(timeout=300)
    stop.set()

    assert resume.returncode == 0, err[-2000:]
    graded = [line.split(":")[0] for line in err.splitlines() if line.startswith("graded ")]
    assert sorted(graded) == ["graded bob/hello_nets", "graded cy/hello_nets"], err[-2000:]
    results = json.loads((tmp_path / "resumed.json").read_text(encoding="utf-8"))["results"]
    scores = {r["learner"]: r["score"] for r in results if r["exercise"] == "hello_nets"}
    assert scores == {"ann": 4.0, "bob": 4.0, "cy": 4.0}
    # The resumed batch removes them, unless a batch of another test, which runs beside this one,
    # started first and did: either way, a batch that started after the kill.
    assert left_by(owners) == [], "the next batch did not remove what the killed one left"
    assert left_by([resumer]) == []
