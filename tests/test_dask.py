"""Grading on Dask (grade/dask_executor.py, grade/dask_worker.py), on a LocalCluster of two worker
processes with one slot each, set up as `keras-course worker` sets them up, and the scheduler
allowing one failure. The notebooks are cheap (no Keras): counting_parameters with
hidden_layer_params set (20 scores 2 points). Those of the failure tests run without the
sandbox: they wait for a gate file of the test, and one finds and kills its Dask worker process,
which a sandboxed kernel cannot see.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import dask
import distributed
import psutil
import pytest
from keras_course.course.config import load_course
from keras_course.course.errors import CourseError
from keras_course.course.paths import DATASETS_ENV, ROOT
from keras_course.grade import dask_executor, dask_worker
from keras_course.grade.batch import grade_folder
from keras_course.grade.jobs import Recorder
from keras_course.grade.layouts import Job, find_submissions
from keras_course.grade.result_store import RESULTS_DIR, ResultStore, kept_section
from keras_course.grade.settings import Settings
from keras_course.report.results import GRADER_FAILED, to_json
from keras_course.run import process_tree

pytestmark = pytest.mark.notebook
CLI = [sys.executable, "-m", "keras_course"]
WAIT = 120  # seconds at most for anything the tests wait for


@pytest.fixture(scope="module")
def cluster():
    before = dict(os.environ)
    config = {
        **dask_worker.NANNY_CONFIG,
        "distributed.scheduler.allowed-failures": 1,
        # LocalCluster closes a nanny whose worker is not back this soon after it died (15 s)
        "distributed.deploy.lost-worker-timeout": f"{WAIT}s",
    }
    with dask.config.set(config):
        local = distributed.LocalCluster(
            n_workers=2, processes=True, dashboard_address=None, **dask_worker.worker_options(1)
        )
        yield local
        local.close()
    os.environ.clear()  # the nanny sets PYTHONHASHSEED and the like in its own process: here
    os.environ.update(before)


@pytest.fixture
def client(cluster):
    """A client of the cluster, with both workers up (a test before may have killed them)."""
    with distributed.Client(cluster.scheduler_address) as connected:
        connected.wait_for_workers(2, timeout=WAIT)
        yield connected


def notebook(*sources: str) -> str:
    cells = [
        {
            "id": f"c{i}",
            "cell_type": "code",
            "metadata": {},
            "source": s,
            "outputs": [],
            "execution_count": None,
        }
        for i, s in enumerate(sources)
    ]
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return json.dumps(
        {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}
    )


def hand_in(folder: Path, learner: str, text: str) -> Path:
    path = folder / learner / "counting_parameters.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def waiting(gate: Path, marker: str, value: int) -> str:
    """A notebook that starts a process whose command line carries marker, waits for the gate
    file (at most 60 s), then sets hidden_layer_params."""
    wait = (
        "import os, subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', {marker!r}])\n"
        "until = time.monotonic() + 60\n"
        f"while not os.path.exists({str(gate)!r}) and time.monotonic() < until:\n"
        "    time.sleep(0.05)"
    )
    return notebook(wait, f"hidden_layer_params = {value}")


def processes_with(text: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter():
        try:
            if any(text in part for part in process.cmdline()):
                found.append(process)
        except psutil.Error:
            continue
    return found


def until(condition, what: str):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"waited {WAIT} s for {what}")


def gone(process: psutil.Process) -> bool:
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_the_same_results_as_the_local_pool(client, tmp_path):
    """The same JSON from the cluster as from the local pool, sandboxed as the course says; the
    data files reached the workers; a file that is not a notebook is named by its path here, and
    so is one swapped for a link to another learner's after the batch found it (not read). The
    report sections are drawn on the worker and kept here as the local pool keeps them."""
    folder = tmp_path / "batch"
    hand_in(folder, "ann", notebook("hidden_layer_params = 20"))
    broken = hand_in(folder, "cy", "this is not a notebook")
    swapped = hand_in(folder, "dan", notebook("hidden_layer_params = 3"))
    found = find_submissions(folder, load_course())
    swapped.unlink()
    swapped.symlink_to(folder / "ann" / "counting_parameters.ipynb")

    on_dask = grade_folder(
        folder, scheduler=client.scheduler.address, results_dir=tmp_path / "dask", found=found, sections=True
    )
    here = grade_folder(folder, jobs_at_once=2, results_dir=tmp_path / "here", found=found, sections=True)

    assert to_json(on_dask) == to_json(here)
    drawn = kept_section(tmp_path / "dask", "ann", "counting_parameters")
    assert drawn is not None and drawn == kept_section(tmp_path / "here", "ann", "counting_parameters")
    assert kept_section(tmp_path / "dask", "cy", "counting_parameters") is None  # not a notebook: none
    graded = {r.learner: r for r in on_dask if r.exercise == "counting_parameters"}
    assert (graded["ann"].score, graded["ann"].isolation) == (2, "sandbox")
    assert str(broken) in graded["cy"].error
    assert (graded["dan"].score, graded["dan"].error) == (
        0,
        f"{swapped}: a symbolic link: only regular files are graded",
    )
    threads = client.run(lambda: os.environ.get("OMP_NUM_THREADS"))  # not the nanny's 1
    assert set(threads.values()) == {os.environ.get("OMP_NUM_THREADS")}
    # A worker gets the data with its first task: the tasks of this small batch may all go to one
    # worker, and a worker that graded nothing has none. Every worker that graded reads the files.
    sent = {w: f for w, f in client.run(lambda: os.environ.get(DATASETS_ENV)).items() if f is not None}
    assert sent, "no worker got the data files"
    assert all(Path(folder, "heldout", "darts.csv").is_file() for folder in sent.values()), sent


def below(process: psutil.Process, ancestors: set[int]) -> tuple[list[psutil.Process], int]:
    """The process and its ancestors up to the first of ancestors (left out), and that one's pid."""
    chain = [process]
    for parent in process.parents():
        if parent.pid in ancestors:
            return chain, parent.pid
        chain.append(parent)
    raise AssertionError(f"{process} does not run under any of {ancestors}")


def grade_in_background(folder: Path, scheduler: str, results: list) -> threading.Thread:
    def grade() -> None:
        results.extend(grade_folder(folder, Settings(timeout=60, sandbox="off"), scheduler=scheduler))

    thread = threading.Thread(target=grade)
    thread.start()
    return thread


def test_a_worker_killed_mid_notebook(client, tmp_path):
    """SIGKILL the worker while the notebook runs: the grading process and the kernel it left
    are ended, the task runs again, and the learner gets one result."""
    gate = tmp_path / "gate"
    marker = f"kc-dask-killed-{uuid.uuid4().hex}"
    folder = tmp_path / "batch"
    hand_in(folder, "ann", waiting(gate, marker, 20))
    results = []
    grading = grade_in_background(folder, client.scheduler.address, results)
    started = until(lambda: processes_with(marker), "the notebook to start")[0]
    left, worker = below(started, set(client.run(os.getpid).values()))

    os.kill(worker, signal.SIGKILL)

    until(lambda: all(gone(p) for p in left), "the killed worker's grading process and kernel to end")
    gate.touch()
    grading.join(WAIT)
    assert not grading.is_alive()
    assert len(left) >= 3  # the notebook's own process, its kernel, the grading process
    graded = [r for r in results if r.submitted]
    assert [(r.learner, r.score, r.error) for r in graded] == [("ann", 2, None)]
    assert len(processes_with(marker)) == 0


KILLER = """import os, signal
pid = os.getpid()
while pid > 1:
    with open(f"/proc/{pid}/stat") as stat:
        pid = int(stat.read().rsplit(")", 1)[1].split()[1])
    with open(f"/proc/{pid}/cmdline", "rb") as command:
        if command.read().startswith(b"dask worker"):  # the title Dask gives its worker process
            os.kill(pid, signal.SIGKILL)
            break"""


def test_a_notebook_that_kills_its_worker(client, tmp_path):
    """A notebook that kills the worker that grades it, each time: one error result after the
    scheduler's allowed failures (KilledWorker), and the other learner is graded."""
    folder = tmp_path / "batch"
    hand_in(folder, "ann", notebook("hidden_layer_params = 20"))
    hand_in(folder, "mallory", notebook(KILLER, "hidden_layer_params = 20"))

    results = grade_folder(folder, Settings(timeout=60, sandbox="off"), scheduler=client.scheduler.address)

    graded = {r.learner: r for r in results if r.submitted}
    assert (graded["ann"].score, graded["ann"].error) == (2, None)
    assert graded["mallory"].score == 0
    assert "ended the Dask worker" in graded["mallory"].error
    assert "ended the Dask worker" in graded["mallory"].checks[0].feedback


def test_the_client_killed_then_resume(client, tmp_path):
    """`keras-course grade --scheduler` SIGKILLed after one result was stored: --resume keeps it
    and grades the other."""
    gate = tmp_path / "gate"
    marker = f"kc-dask-client-{uuid.uuid4().hex}"
    folder = tmp_path / "batch"
    hand_in(folder, "ann", notebook("hidden_layer_params = 20"))
    hand_in(folder, "bob", waiting(gate, marker, 20))
    store = folder / RESULTS_DIR
    args = [*CLI, "grade", folder, "--scheduler", client.scheduler.address, "--sandbox", "off"]
    args += ["--timeout", "60", "--csv", tmp_path / "gradebook.csv"]
    first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    until(
        lambda: list(store.glob("ann/*.json")) and processes_with(marker), "ann's result and bob's notebook"
    )
    kept = {p: p.stat().st_mtime_ns for p in store.glob("*/*.json")}

    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=WAIT)
    gate.touch()  # bob's task, abandoned with the client, ends soon
    resumed = subprocess.run([*args, "--resume"], capture_output=True, text=True, cwd=ROOT, timeout=WAIT)

    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert [p.parent.name for p in kept] == ["ann"]
    assert {p: p.stat().st_mtime_ns for p in kept} == kept
    graded = [line for line in resumed.stderr.splitlines() if line.startswith("graded ")]
    assert graded == ["graded bob/counting_parameters: 2/6 [1/1, 0 failed, ETA 0:00]"]
    rows = (tmp_path / "gradebook.csv").read_text(encoding="utf-8").splitlines()
    assert [row.split(",")[3] for row in rows[2:]] == ["2", "2"]


def test_a_notebook_the_client_cannot_send_is_that_notebooks_grader_error(client, tmp_path):
    """A notebook gone between discovery and grading: one grader error, stored, and the batch
    goes on (before, the client's read raised out of the whole batch)."""
    folder = tmp_path / "batch"
    hand_in(folder, "ann", notebook("hidden_layer_params = 20"))
    gone = Job("bob", "counting_parameters", folder / "bob" / "counting_parameters.ipynb")
    jobs = [Job("ann", "counting_parameters", folder / "ann" / "counting_parameters.ipynb"), gone]
    settings = Settings(timeout=60, sandbox="off")
    store = ResultStore(tmp_path / "store", load_course(), settings)

    graded = dask_executor.run_jobs_on_dask(
        jobs, settings, Recorder(store, None), scheduler=client.scheduler.address
    )
    results = {r.learner: r for r in graded}
    assert (results["ann"].score, results["ann"].grader_error) == (2, False)
    assert results["bob"].grader_error and results["bob"].error.startswith(GRADER_FAILED)
    assert str(gone.notebook) in results["bob"].error
    assert sorted(p.parent.name for p in store.folder.glob("*/*.json")) == ["ann", "bob"]


def test_a_worker_with_another_course_says_so(tmp_path):
    """The task compares the course's digest before it grades: another course is an error."""
    answer = dask_worker.grade_task(
        notebook("hidden_layer_params = 20").encode(),
        str(tmp_path / "ann" / "counting_parameters.ipynb"),
        "counting_parameters",
        "ann",
        Settings(),
        "0" * 64,
        dask_worker.DataFiles("0" * 64, {}),
    )

    assert answer == {"error": answer["error"]}
    assert "another course.toml or other graders than the client" in answer["error"]


def test_a_worker_needs_its_scheduler(capsys):
    from keras_course.cli import main

    assert main(["worker", "--slots", "2"]) == 2
    assert "give the scheduler's address or --scheduler-file" in capsys.readouterr().err


def test_a_worker_keeps_its_files_in_a_folder_of_its_own_and_removes_it_when_it_ends(client, tmp_path):
    """`keras-course worker --local-directory`: its folder, in Dask's scratch space there, is
    its user's and mode 0700 (the notebooks in its spool are nobody else's to read); stopped,
    the worker removes it. The cluster's workers have theirs too."""
    local = tmp_path / "local"
    args = [*CLI, "worker", client.scheduler.address, "--local-directory", local]
    worker = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        until(lambda: len(client.scheduler_info()["workers"]) == 3, "the worker to join")
        (folder,) = local.glob("dask-scratch-space/keras-course-worker-*")
        status = folder.lstat()
        assert (status.st_mode & 0o7777, status.st_uid) == (0o700, os.geteuid())
        theirs = client.run(lambda: str(dask_worker.worker_folder()))
        assert {oct(Path(f).lstat().st_mode & 0o7777) for f in theirs.values()} == {"0o700"}
    finally:
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=WAIT)
    assert (worker.returncode, folder.exists()) == (0, False), stderr.decode()[-2000:]


def a_worker(local: Path, nanny: str = "tcp://127.0.0.1:40000"):
    """What Dask gives a worker process's set-up: its nanny, and its local directory in the
    scratch space that Dask has made."""
    (local / "dask-scratch-space").mkdir(exist_ok=True)
    return SimpleNamespace(nanny=nanny, local_directory=str(local / "dask-scratch-space" / "worker-x"))


@pytest.mark.parametrize("taken", ["another user's", "a link", "open to others"])
def test_a_worker_refuses_a_folder_it_does_not_own_alone(tmp_path, monkeypatch, taken):
    """Its folder's name is known beforehand (it is the nanny's): one made first by another local
    user, a link (even to a folder of its own), or one that others may enter, is refused in one
    line, and nothing in it is read, ended or removed."""
    monkeypatch.setattr(dask_worker, "WORKER", {})
    monkeypatch.delenv(process_tree.BATCH_ENV, raising=False)  # dask_setup sets it
    worker = a_worker(tmp_path)
    folder = dask_worker.nanny_folder(worker)
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o700)
    if taken == "a link":
        folder.symlink_to(mine)
    else:
        folder.mkdir(mode=0o700)
        if taken == "another user's":
            os.chown(folder, 65534, 65534)
        else:
            folder.chmod(0o755)
    (folder / "spool").mkdir()
    planted = folder / "spool" / "notebook.ipynb"
    planted.write_text("{}")

    with pytest.raises(CourseError) as refused:
        dask_worker.dask_setup(worker)

    why = {
        "another user's": "owned by the user 65534",
        "a link": "a symbolic link",
        "open to others": "mode 755",
    }
    assert str(refused.value).startswith(f"{folder}: {why[taken]}")
    assert "\n" not in str(refused.value)
    assert planted.read_text() == "{}" and dask_worker.WORKER == {}


def test_a_worker_ends_what_a_killed_one_left_and_starts_afresh(tmp_path, monkeypatch):
    """The nanny's next worker process finds the killed one's folder (its own, 0700): it ends
    what is left there, makes the folder again, and removes it when it ends."""
    monkeypatch.setattr(dask_worker, "WORKER", {})
    monkeypatch.delenv(process_tree.BATCH_ENV, raising=False)  # dask_setup sets it
    worker = a_worker(tmp_path)
    ended = []
    monkeypatch.setattr(dask_worker, "end_leftovers", ended.append)
    dask_worker.dask_setup(worker)
    folder = dask_worker.worker_folder()
    (folder / "spool").mkdir()
    (folder / "spool" / "left.ipynb").write_text("{}")

    dask_worker.dask_setup(worker)  # the next worker process of the same nanny

    assert ended == [folder] and dask_worker.worker_folder() == folder
    assert list(folder.iterdir()) == [] and folder.lstat().st_mode & 0o7777 == 0o700
    dask_worker.dask_teardown(worker)
    assert not folder.exists()


def test_a_worker_refuses_to_start_in_a_folder_another_user_can_swap(client, tmp_path):
    """`keras-course worker` whose local directory holds a scratch space another user owns: one
    line, exit 2, before it serves."""
    scratch = tmp_path / "local" / "dask-scratch-space"
    scratch.mkdir(parents=True)
    os.chown(scratch, 65534, 65534)
    args = [*CLI, "worker", client.scheduler.address, "--local-directory", tmp_path / "local"]

    out = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=WAIT)

    assert out.returncode == 2, out.stderr[-2000:]
    line = f"keras-course: error: {scratch}: owned by the user 65534, who could swap what is in it"
    assert out.stderr.splitlines()[-1].startswith(line), out.stderr[-2000:]
