"""The side-by-side benchmark (`make bench LEARNERS=6`): one batch of learners graded five ways.

    python tools/bench.py [--learners 6] [--jobs 2] [--ways plain,jobs1,...] [--exercises a,b]

The same learners, each handing in every exercise, are graded in one run, on this machine:

- plain: nbclient executes each notebook (bench_isolation.plain_run: the seeding prelude, no
  sandbox, no checks), `--jobs` at a time. The floor;
- jobs1, jobs2: `keras-course grade BATCH --jobs 1` and `--jobs 2`;
- nbgrader: `nbgrader autograde` in the course folder of `keras-course nbgrader`, two learners
  at a time, as the README's walk-through does it;
- dask: `keras-course grade BATCH --scheduler-file F` on a local cluster of `dask scheduler` and
  two `keras-course worker --slots 1`; skipped, with the reason, where `keras-course worker`
  does not exist.

The batch (plan): learner i hands in exercise j as KINDS[(i + j) % 3]: the reference solution,
the untouched stub, or a realistic mistake (tests/mistakes.py, each exercise's mistakes in turn,
without their long training). darts and irrigation train for 15-30 s each, so only the first
learner who would hand in their reference does; the later ones hand in a mistake instead. The
keras-course ways grade BATCH/<learner>/<exercise>.ipynb made from solutions/ and exercises/;
nbgrader grades the same plan in its own form: the release notebooks, filled in with the
reference answers (and the mistake made in them) or untouched.

It prints a table (wall and CPU seconds, notebooks per minute, ratios to plain and nbgrader),
the peak memory (PSS) of the `--jobs 1` run's process tree (one worker, kernel included),
whether jobs1, jobs2 and dask give the same JSON (`isolation` aside) and nbgrader the same
scores, and writes the figures to bench.json. CPU seconds count the way's processes and all
their descendants: each process of the command's tree as psutil last saw it, every 0.2 s (see
Sampler), and the cluster's processes too for dask; for plain, getrusage of this process
(nbclient runs in it) and of its children (the kernels, which nbclient waits for).
Run it from the repository with the venv's bin on PATH (the Makefile does).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil
from bench_isolation import plain_run
from keras_course.course.config import load_course
from keras_course.course.paths import EXERCISES, SOLUTIONS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the tests' catalogue
from mistakes import MISTAKES, Variant  # noqa: E402

COURSE = load_course()
BIN = Path(sys.executable).parent
KINDS = ("reference", "untouched", "mistake")
LONG = ("darts", "irrigation")  # references that train for 15-30 s: one learner each
WAYS = ("plain", "jobs1", "jobs2", "nbgrader", "dask")
AUTOGRADE = """ls submitted | xargs -P 2 -I{} nbgrader autograde "*" --force --student {}"""
SAMPLE_SECONDS = 0.2


# ---- the batch ----


@dataclass(frozen=True)
class HandedIn:
    """One notebook of the batch: whose, which exercise, and what it is."""

    learner: str
    exercise: str
    kind: str  # one of KINDS
    variant: Variant | None = None  # the mistake, for kind "mistake"

    @property
    def name(self) -> str:
        return self.variant.name if self.variant else self.kind


def plan(learners: int, exercises: list[str] | None = None) -> list[HandedIn]:
    """Who hands in what: every learner every exercise, in the mix the module docstring says."""
    exercises = exercises or list(COURSE.exercises)
    mistakes = {e: [v for v in MISTAKES if v.exercise == e] for e in exercises}
    used = {e: 0 for e in exercises}  # mistakes of each exercise handed in so far
    long_references: set[str] = set()
    batch = []
    for i in range(learners):
        learner = f"learner{i + 1:02d}"
        for j, exercise in enumerate(exercises):
            kind = KINDS[(i + j) % len(KINDS)]
            if kind == "reference" and exercise in LONG:
                if exercise in long_references:
                    kind = "mistake"
                long_references.add(exercise)
            variant = None
            if kind == "mistake":
                variant = mistakes[exercise][used[exercise] % len(mistakes[exercise])]
                variant = variant.without_long_training()
                used[exercise] += 1
            batch.append(HandedIn(learner, exercise, kind, variant))
    return batch


def notebook_text(item: HandedIn, reference: str, stub: str) -> str:
    """The notebook this item hands in, from the reference and the stub of its exercise."""
    if item.kind == "reference":
        return reference
    if item.kind == "untouched":
        return stub
    return item.variant.apply(reference)


def write_batch(batch: list[HandedIn], folder: Path) -> list[Path]:
    """folder/<learner>/<exercise>.ipynb from solutions/ and exercises/, for keras-course."""
    paths = []
    for item in batch:
        reference = (SOLUTIONS / f"{item.exercise}.ipynb").read_text(encoding="utf-8")
        stub = (EXERCISES / f"{item.exercise}.ipynb").read_text(encoding="utf-8")
        path = folder / item.learner / f"{item.exercise}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(notebook_text(item, reference, stub), encoding="utf-8")
        paths.append(path)
    return paths


def write_submissions(batch: list[HandedIn], course: Path) -> None:
    """course/submitted/<learner>/<assignment>/<exercise>.ipynb from the release notebooks of
    `nbgrader generate_assignment`, as test_nbgrader.py hands them in."""
    from test_nbgrader import fill_in

    for item in batch:
        assignment = COURSE.assignment_of(item.exercise)
        release = course / "release" / assignment / f"{item.exercise}.ipynb"
        source = course / "source" / assignment / f"{item.exercise}.ipynb"
        reference = nbformat.writes(fill_in(release, source))
        stub = release.read_text(encoding="utf-8")
        path = course / "submitted" / item.learner / assignment / f"{item.exercise}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(notebook_text(item, reference, stub), encoding="utf-8")


# ---- measuring ----


@dataclass
class Figures:
    """What one way cost; skipped (the reason) when it did not run."""

    wall_s: float | None = None
    cpu_s: float | None = None
    skipped: str = ""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def tree(pid: int) -> list[psutil.Process]:
    """The process and its descendants that still run."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def pss_mb(processes: list[psutil.Process]) -> float:
    """Proportional set size of these processes together, in MB."""
    total_kb = 0
    for process in processes:
        try:
            rollup = Path(f"/proc/{process.pid}/smaps_rollup").read_text()
        except OSError:
            continue  # ended between the listing and the read
        total_kb += next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
    return total_kb / 1024


class Sampler:
    """CPU seconds and PSS of process trees, read every SAMPLE_SECONDS.

    Each process counts with its own CPU time as last seen, so a process is missed for at most
    its last SAMPLE_SECONDS (or whole, if it lived shorter). Its children's times are not used:
    a driver need not wait for its children (a forkserver is left to exit on its own), so
    getrusage(RUSAGE_CHILDREN) misses the grading processes and kernels."""

    def __init__(self, roots: list[int], running: bool = False) -> None:
        """With running, the CPU time the trees have used so far is not counted."""
        self.roots = roots
        self.cpu: dict[tuple[int, float], float] = {}  # (pid, start time): user + system
        self.peak_mb = 0.0
        self.sample()
        self.before = sum(self.cpu.values()) if running else 0.0

    def sample(self) -> None:
        processes = [p for root in self.roots for p in tree(root)]
        for process in processes:
            try:
                times = process.cpu_times()
                self.cpu[(process.pid, process.create_time())] = times.user + times.system
            except psutil.NoSuchProcess:
                continue
        self.peak_mb = max(self.peak_mb, pss_mb(processes))

    @property
    def cpu_s(self) -> float:
        return sum(self.cpu.values()) - self.before


def run(argv: list[str], cwd: Path, log: Path, others: tuple[int, ...] = ()) -> tuple[Figures, float]:
    """Run one way's command; its figures (CPU: its process tree and the trees of `others`,
    already running) and the peak PSS of its own process tree."""
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        cpu, memory = Sampler([*others], running=True), Sampler([proc.pid])
        while proc.poll() is None:
            cpu.sample()
            memory.sample()
            time.sleep(SAMPLE_SECONDS)
    figures = Figures(time.perf_counter() - started, cpu.cpu_s + memory.cpu_s)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv)} exited with {proc.returncode}; see {log}")
    return figures, memory.peak_mb


def keras_course(*args: str) -> list[str]:
    return [str(BIN / "keras-course"), *args]


# ---- the ways ----


def plain(notebooks: list[Path], jobs: int) -> Figures:
    """Execute every notebook with nbclient, `jobs` at a time."""
    cpu, started = self_cpu() + children_cpu(), time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(lambda nb: plain_run(nb, COURSE.exercise(nb.stem)), notebooks))
    return Figures(time.perf_counter() - started, self_cpu() + children_cpu() - cpu)


def grade(work: Path, way: str, *options: str, others: tuple[int, ...] = ()) -> tuple[Figures, float]:
    """`keras-course grade` of the batch folder: its figures and peak PSS."""
    argv = keras_course(
        "grade", "batch", *options, "--json", f"{way}.json", "--results-dir", f"results-{way}"
    )
    return run(argv, work, work / f"{way}.log", others)


def nbgrader(work: Path, batch: list[HandedIn]) -> Figures:
    """Set up the course folder (not timed), then time the autograde line of the README."""
    run(keras_course("nbgrader", "course"), work, work / "nbgrader-course.log")
    course = work / "course"
    generate = '. ./activate && nbgrader generate_assignment "*"'
    run(["bash", "-c", generate], course, work / "nbgrader-generate.log")
    write_submissions(batch, course)
    return run(["bash", "-c", f". ./activate && {AUTOGRADE}"], course, work / "nbgrader.log")[0]


def dask_missing() -> str:
    """Why the dask way cannot run here, or "" when it can."""
    if not (BIN / "dask").exists():
        return "no `dask` command: pip install 'keras-course[dask]'"
    probe = subprocess.run(keras_course("worker", "--help"), capture_output=True)
    if probe.returncode != 0:
        return "`keras-course worker` does not exist yet (branch dask not merged)"
    return ""


@contextmanager
def local_cluster(work: Path, workers: int) -> Iterator[tuple[Path, list[int]]]:
    """A Dask scheduler on a free port and `workers` keras-course workers of one slot each; the
    scheduler file and the processes' ids. Stopped at the end."""
    scheduler_file = work / "scheduler.json"
    logs = (work / "dask-cluster.log").open("w")
    argv = [
        str(BIN / "dask"),
        "scheduler",
        "--scheduler-file",
        str(scheduler_file),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--no-dashboard",
    ]
    env = dict(os.environ, DASK_TEMPORARY_DIRECTORY=str(work / "dask"))  # not /tmp/dask-scratch-space
    procs = [subprocess.Popen(argv, cwd=work, env=env, stdout=logs, stderr=subprocess.STDOUT)]
    try:
        wait_for(scheduler_file.is_file, "the Dask scheduler's file")
        for _ in range(workers):
            worker = keras_course("worker", "--scheduler-file", str(scheduler_file), "--slots", "1")
            procs.append(subprocess.Popen(worker, cwd=work, env=env, stdout=logs, stderr=subprocess.STDOUT))
        from distributed import Client

        with Client(scheduler_file=str(scheduler_file), timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
        yield scheduler_file, [p.pid for p in procs]
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
        for proc in reversed(procs):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        logs.close()


def wait_for(ready: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: no {what} after {seconds:g} s")
        time.sleep(0.2)


def dask(work: Path, workers: int = 2) -> Figures:
    reason = dask_missing()
    if reason:
        return Figures(skipped=reason)
    with local_cluster(work, workers) as (scheduler_file, pids):
        return grade(work, "dask", "--scheduler-file", str(scheduler_file), others=tuple(pids))[0]


# ---- verdicts ----


def verdicts(path: Path) -> dict[tuple[str, str], dict]:
    """The results of a `keras-course grade --json` file by (learner, exercise), `isolation` aside."""
    results = json.loads(path.read_text(encoding="utf-8"))["results"]
    return {(r["learner"], r["exercise"]): {k: v for k, v in r.items() if k != "isolation"} for r in results}


def compare_verdicts(ours: dict[str, dict], nbgrader_scores: dict | None) -> list[str]:
    """Lines saying whether the keras-course ways agree with each other and with nbgrader."""
    lines = []
    names = list(ours)
    for other in names[1:]:
        differ = sorted(
            k
            for k in ours[names[0]].keys() | ours[other].keys()
            if ours[names[0]].get(k) != ours[other].get(k)
        )
        same = "identical" if not differ else f"{len(differ)} differ, e.g. {'/'.join(differ[0])}"
        lines.append(f"verdicts {names[0]} vs {other}: {same} ({len(ours[names[0]])} results)")
    if names and nbgrader_scores is not None:
        first = ours[names[0]]
        differ = sorted(
            k for k in nbgrader_scores if k not in first or first[k]["score"] != nbgrader_scores[k]
        )
        same = "same scores" if not differ else f"{len(differ)} differ, e.g. {'/'.join(differ[0])}"
        lines.append(f"scores {names[0]} vs nbgrader: {same} ({len(nbgrader_scores)} notebooks)")
    return lines


def nbgrader_scores(course: Path, batch: list[HandedIn]) -> dict[tuple[str, str], float]:
    """nbgrader's score of each notebook of the batch, from its gradebook."""
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for item in batch:
            assignment = COURSE.assignment_of(item.exercise)
            notebook = gradebook.find_submission_notebook(item.exercise, assignment, item.learner)
            scores[(item.learner, item.exercise)] = float(notebook.score)
    return scores


# ---- the report ----


def ratio(wall: float | None, base: Figures | None) -> str:
    if wall is None or base is None or not base.wall_s:
        return "-"
    return f"x{wall / base.wall_s:.2f}"


def table(ways: dict[str, Figures], notebooks: int) -> str:
    """One row per way: wall and CPU seconds, notebooks per minute, ratio to plain and nbgrader."""
    lines = [f"{'way':<10}{'wall s':>9}{'CPU s':>9}{'nb/min':>9}{'/plain':>9}{'/nbgrader':>11}"]
    for way, f in ways.items():
        if f.skipped:
            lines.append(f"{way:<10}(skipped: {f.skipped})")
            continue
        per_minute = notebooks / f.wall_s * 60
        lines.append(
            f"{way:<10}{f.wall_s:>9.1f}{f.cpu_s:>9.1f}{per_minute:>9.1f}"
            f"{ratio(f.wall_s, ways.get('plain')):>9}{ratio(f.wall_s, ways.get('nbgrader')):>11}"
        )
    return "\n".join(lines)


def bench_json(learners: int, notebooks: int, ways: dict[str, Figures], peak_mb: float | None) -> dict:
    """The figures for other tools: bench.json."""
    out = {}
    for way, f in ways.items():
        figures = {"wall_s": f.wall_s, "cpu_s": f.cpu_s}
        if f.skipped:
            figures["skipped"] = f.skipped
        else:
            figures["notebooks_per_minute"] = notebooks / f.wall_s * 60
        out[way] = figures
    return {"learners": learners, "notebooks": notebooks, "ways": out, "peak_worker_mb": peak_mb}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=2, help="notebooks at once in the plain way")
    parser.add_argument("--ways", default=",".join(WAYS), help=f"some of {','.join(WAYS)}")
    parser.add_argument("--exercises", help="some exercises, for a smoke run (default: all)")
    parser.add_argument("--json", default="bench.json", help="where the figures go")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    ways = [w for w in args.ways.split(",") if w]
    unknown = set(ways) - set(WAYS)
    if unknown:
        parser.error(f"unknown ways {sorted(unknown)}; known: {','.join(WAYS)}")
    exercises = args.exercises.split(",") if args.exercises else None
    for exercise_id in exercises or []:
        COURSE.exercise(exercise_id)  # an unknown id: a one-line error

    began = time.monotonic()
    batch = plan(args.learners, exercises)
    work = Path(tempfile.mkdtemp(prefix="keras-course-bench-"))
    notebooks = write_batch(batch, work / "batch")
    kinds = {k: sum(item.kind == k for item in batch) for k in KINDS}
    print(f"{args.learners} learners, {len(batch)} notebooks: {kinds}; work folder {work}", flush=True)

    figures: dict[str, Figures] = {}
    peak = None
    for way in ways:
        print(f"bench: {way} ...", flush=True)
        if way == "plain":
            figures[way] = plain(notebooks, args.jobs)
        elif way == "jobs1":
            figures[way], peak = grade(work, way, "--jobs", "1")
        elif way == "jobs2":
            figures[way] = grade(work, way, "--jobs", "2")[0]
        elif way == "nbgrader":
            figures[way] = nbgrader(work, batch)
        else:
            figures[way] = dask(work)

    print()
    print(table(figures, len(batch)))
    if peak is not None:
        print(f"peak PSS of one worker (the --jobs 1 run's process tree, kernel included): {peak:.0f} MB")
    ours = {
        w: verdicts(work / f"{w}.json") for w in ("jobs1", "jobs2", "dask") if (work / f"{w}.json").is_file()
    }
    scores = nbgrader_scores(work / "course", batch) if "nbgrader" in figures else None
    for line in compare_verdicts(ours, scores):
        print(line)
    Path(args.json).write_text(
        json.dumps(bench_json(args.learners, len(batch), figures, peak), indent=2) + "\n"
    )
    print(f"figures written to {args.json}; the whole run took {(time.monotonic() - began) / 60:.1f} min")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    raise SystemExit(main())
