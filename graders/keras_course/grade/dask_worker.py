"""The worker's side of grading on Dask (`keras-course worker`): the grading task, the course's
data in the worker's private folder, the warm slots, and the plugin that sets up and cleans up
each worker process. The client's side (dask_executor.py) submits the tasks.

- The task (grade_task) writes the notebook into the worker's spool folder and grades it with
  the same function the local pool uses, jobs.grade_job; it returns the result as data and
  never raises for a learner's error.
- Data: the course's data files (the learner files, the held-out set, the banknotes as
  downloaded) are one task's result that every grading task depends on, so that each worker
  fetches them once per batch (scattered data would be lost with the worker that holds it; a
  task's result is made again). A worker writes them into a folder named by their digest in its
  private folder, and its grading processes read them from there (paths.DATASETS_ENV): a worker
  without the held-out data (the learner package) grades like the instructor's copy.
- The worker's folder: its spool and its data are in a folder only its user may enter, in
  Dask's local directory, named after its nanny, made afresh as each worker process starts and
  removed when it ends (private_folder.py); a worker whose folder is taken by another user, a
  link, or open to others, refuses to start.
- Course: a worker whose course.toml or graders differ from the client's gives an error result
  that says so, not grades from another course.
- Workers: `keras-course worker` starts a Dask nanny and worker (worker_options) with N threads
  and N "slots", a resource each task takes one of: a worker runs N notebooks at once, and
  grading tasks go only to workers started this way (a plain `dask worker` has no slots).
  Dask's memory monitor is off (memory_limit=0): it sees the worker, not the kernels; each
  kernel's memory limit is the grader's (cgroup, watchdog). The nanny's OMP_NUM_THREADS=1 and
  the like are not set (NANNY_CONFIG): the grading processes get the worker's own environment,
  and each kernel's environment is built explicitly (environment.kernel_environment) as in the
  local pool.
- Failures: a worker killed mid-notebook leaves its grading process and kernel behind; the
  nanny starts a new worker process, whose set-up (dask_setup, in the plugin WorkerSetUp) ends
  them, found by the spool folder their notebook is in.
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import importlib.util
import json
import os
import secrets
import signal
import socket
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from keras_course.course.config import load_course
from keras_course.course.data import DataFiles
from keras_course.course.errors import CourseError
from keras_course.course.paths import COURSE_TOML, DATASETS_ENV
from keras_course.grade.grader_code import code_digest
from keras_course.grade.jobs import close_slots, grade_job
from keras_course.grade.layouts import Job
from keras_course.grade.private_folder import fresh_private_folder
from keras_course.grade.settings import Settings
from keras_course.grade.slots import WarmSlots
from keras_course.run import process_tree
from keras_course.run.cleanup import remove_tree
from keras_course.run.sandbox import isolation

try:  # the extra keras-course[dask]; where it is missing, require_dask says what to install
    from distributed import WorkerPlugin
except ImportError:
    WorkerPlugin = object  # type: ignore[misc,assignment]

SLOTS = "slots"  # the worker resource: one per notebook graded at once
# The nanny sets OMP_NUM_THREADS=1 and the like before it starts a worker (distributed.yaml): not here.
NANNY_CONFIG = {"distributed.nanny.pre-spawn-environ": {}}
SPOOL = "spool"  # in the worker's folder: one folder per notebook being graded
WORKER: dict[str, Path] = {}  # "folder": this worker process's private folder (worker_folder)
WORKER_LOCK = threading.Lock()


def same(data: DataFiles) -> DataFiles:
    """The data files as a task's result: each worker gets them once, from a worker that has them."""
    return data


def course_digest(exercise_id: str) -> str:
    """The sha256 of what decides an exercise's verdicts besides the notebook: course.toml (its
    limits apply on the worker) and the code that makes them (grader_code.py)."""
    toml = COURSE_TOML.read_bytes() if COURSE_TOML.is_file() else b""
    return hashlib.sha256(toml + b"\0" + code_digest(exercise_id).encode()).hexdigest()


def worker_folder() -> Path:
    """This worker's private folder (private_folder.py): its spool and the data it was sent.
    dask_setup makes it; a worker process without the plugin gets a fresh one of its own."""
    with WORKER_LOCK:
        if "folder" not in WORKER:
            WORKER["folder"] = Path(tempfile.mkdtemp(prefix="keras-course-worker-"))  # mode 0700
            atexit.register(remove_tree, WORKER["folder"])
        return WORKER["folder"]


def nanny_folder(worker: object) -> Path:
    """Where a worker's private folder is: in Dask's local directory (--local-directory, else the
    temporary folder), named after its nanny, so that the nanny's next worker process finds it."""
    local = getattr(worker, "local_directory", None)  # Dask's .../dask-scratch-space/worker-<random>
    base = Path(local).parent if local else Path(tempfile.gettempdir())
    nanny = getattr(worker, "nanny", None) or f"pid-{os.getpid()}"
    name = hashlib.sha256(f"{socket.gethostname()} {nanny}".encode()).hexdigest()[:16]
    return base / f"keras-course-worker-{name}"


def written_data(data: DataFiles) -> Path:
    """The folder with these data files on this worker, written once (atomically)."""
    folder = worker_folder() / "data" / data.digest
    if not folder.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=folder.parent))
        for name, content in data.files.items():
            (partial / name).parent.mkdir(parents=True, exist_ok=True)
            (partial / name).write_bytes(content)
        try:
            partial.rename(folder)
        except OSError:  # another task wrote it first
            remove_tree(partial)
    return folder


class DataInUse:
    """The data folder this worker's grading processes read (an environment variable of the
    worker process, which they inherit). Tasks with other data wait until no task uses it."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.digest: str | None = None
        self.users = 0

    @contextmanager
    def using(self, data: DataFiles) -> Iterator[None]:
        folder = written_data(data)
        with self.changed:
            self.changed.wait_for(lambda: self.users == 0 or self.digest == data.digest)
            if self.digest != data.digest:
                os.environ[DATASETS_ENV] = str(folder / "datasets")
                if (folder / "mirror").is_dir():
                    os.environ["KERAS_COURSE_DATA_MIRROR"] = str(folder / "mirror")
                self.digest = data.digest
            self.users += 1
        try:
            yield
        finally:
            with self.changed:
                self.users -= 1
                self.changed.notify_all()


DATA = DataInUse()
WARM: dict[int, WarmSlots] = {}  # this worker's slots' fork servers (slots.WarmSlots), by seed
WARM_LOCK = threading.Lock()


def warm_slots(settings: Settings) -> WarmSlots | None:
    """This worker's fork servers for the settings' seed, when its runs are sandboxed: a task's
    kernel starts warm, as in the local pool (forkserver.py)."""

    course = load_course()
    try:
        if isolation(settings.sandbox_mode(course)) != "sandbox":
            return None
    except CourseError:
        return None  # grade_job tells the learner's result why
    seed = settings.limits(course)["seed"]
    with WARM_LOCK:
        return WARM.setdefault(seed, WarmSlots(seed))


@contextmanager
def spooled(notebook: bytes, name: str) -> Iterator[Path]:
    """The notebook as a file named name in a folder of its own in this worker's spool, with
    its run's tag beside it; removed afterwards."""
    folder = worker_folder() / SPOOL / uuid.uuid4().hex
    folder.mkdir(parents=True)
    path = folder / name
    path.write_bytes(notebook)
    (folder / "run-token").write_text(process_tree.run_token(path), encoding="ascii")
    try:
        yield path
    finally:
        remove_tree(folder)


def grade_task(
    notebook: bytes,
    where: str,
    exercise_id: str,
    learner: str,
    settings: Settings,
    course_sha256: str,
    data: DataFiles,
    sections: bool = False,
) -> dict:
    """One learner's notebook graded on a worker: {"result": Result as a dict}, or {"error":
    why it was not graded} for the client to make an error result of. where is the notebook's
    path on the client: messages name it, not the worker's copy. With sections, the report
    section is drawn here, where the export is, and sent back as "section" (its JSON, or None
    where none was drawn)."""
    if course_digest(exercise_id) != course_sha256:
        return {
            "error": f"the Dask worker on {socket.gethostname()} has another course.toml or other "
            "graders than the client: install the same keras-course there"
        }
    with DATA.using(data), spooled(notebook, Path(where).name) as path:
        section = path.parent / "section.json" if sections else None
        result = grade_job(Job(learner, exercise_id, path), settings, warm_slots(settings), section=section)
        text = json.dumps(asdict(result)).replace(json.dumps(str(path))[1:-1], json.dumps(where)[1:-1])
        drawn = section.read_text(encoding="utf-8") if section is not None and section.is_file() else None
    return {"result": json.loads(text), "section": drawn}


def end_leftovers(folder: Path) -> None:
    """End what a killed worker process left in its spool: each grading process (its command
    line names a notebook there) and each kernel (by its run's tag); then the folders."""
    spool = folder / SPOOL
    if not spool.is_dir():
        return
    runs = [run for run in spool.iterdir() if run.is_dir()]
    marks = [str(run).encode() for run in runs]
    graders = []
    for entry in os.listdir("/proc") if marks else []:
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read()
        except OSError:
            continue
        if entry.isdigit() and int(entry) != os.getpid() and any(mark in command for mark in marks):
            graders.append(int(entry))
    process_tree.kill(graders)
    tokens = [
        (run / "run-token").read_text(encoding="ascii") for run in runs if (run / "run-token").is_file()
    ]
    process_tree.end_tagged(tokens)
    for run in runs:
        remove_tree(run)


def dask_setup(worker: object) -> None:
    """Run as each worker process starts (WorkerSetUp): a secret for the run tags, and the
    worker's private folder made afresh, once what an earlier, killed worker process of the same
    nanny left there is ended. CourseError when the folder is not private: the worker does not start."""
    os.environ[process_tree.BATCH_ENV] = secrets.token_hex(16)
    folder = fresh_private_folder(nanny_folder(worker), end_leftovers)
    with WORKER_LOCK:
        WORKER["folder"] = folder


def dask_teardown(worker: object) -> None:
    """Run when a worker process closes: its fork servers end and its private folder is removed."""
    with WARM_LOCK:
        for slots in WARM.values():
            close_slots(slots)
        WARM.clear()
    with WORKER_LOCK:
        folder = WORKER.pop("folder", None)
    if folder is not None:
        remove_tree(folder)


class WorkerSetUp(WorkerPlugin):
    """dask_setup and dask_teardown in each keras-course worker process (worker_options). A
    plugin, not a preload: Dask logs a preload that fails and serves anyway, but a worker whose
    plugin fails does not start, so a worker whose folder is refused never grades."""

    name = "keras-course"

    def setup(self, worker: object) -> None:
        dask_setup(worker)

    def teardown(self, worker: object) -> None:
        dask_teardown(worker)


def worker_options(slots: int) -> dict:
    """The keyword arguments of a keras-course Dask worker (distributed.Nanny, LocalCluster)."""
    return {
        "nthreads": slots,
        "resources": {SLOTS: slots},
        "memory_limit": 0,
        "plugins": (WorkerSetUp(),),
    }


def require_dask() -> None:
    """CourseError in one line where Dask is not installed."""
    if importlib.util.find_spec("distributed") is None:
        raise CourseError("grading on Dask needs distributed: pip install 'keras-course[dask]'")


def run_worker(
    address: str | None, slots: int, scheduler_file: str | None = None, local_directory: str | None = None
) -> None:
    """Start a worker for the scheduler at address (or in scheduler_file) and serve until stopped;
    its folders are in local_directory (Dask's --local-directory), else the temporary folder.
    CourseError, in one line, when its private folder is refused (private_folder.py)."""
    require_dask()
    import dask  # lazy: Dask is an optional dependency (keras-course[dask]), so are all below
    from distributed import Nanny

    async def serve() -> None:
        stop = asyncio.Event()  # SIGTERM, even while it starts: the worker closes and removes its folder
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        with dask.config.set(NANNY_CONFIG):
            options = {"scheduler_file": scheduler_file, "local_directory": local_directory}
            async with Nanny(address, **options, **worker_options(slots)) as nanny:
                ends = [asyncio.ensure_future(nanny.finished()), asyncio.ensure_future(stop.wait())]
                await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED)
                for end in ends:
                    end.cancel()

    try:
        asyncio.run(serve())
    except RuntimeError as exc:  # "Nanny failed to start.", caused by the worker's failure
        raise refused(exc) or exc from None


def refused(exc: BaseException | None) -> CourseError | None:
    """The CourseError that stopped a worker from starting (WorkerSetUp), which Dask wraps."""
    while exc is not None and not isinstance(exc, CourseError):
        exc = exc.__cause__
    return exc
