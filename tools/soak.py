"""`make soak`: a class-sized batch through warm slots, with a hostile notebook every 50th.

It grades NOTEBOOKS hello_nets notebooks (1,000 by default, one kernel each) with
`keras-course grade --jobs 2`, as a CI run would. Every 50th notebook is one of the hostile
notebooks of tests/hostile/slots/ in turn; every other one is the honest notebook there, which
looks for what the hostile ones leave. It checks that:

- every honest notebook gets the JSON result that it gets when graded alone in a fresh slot;
- the batch ends with its reports and no slot folder, cgroup or process of it is left.

It prints the seconds per notebook of the first 100 notebooks against the last 100, from the
time each line of `grade`'s progress came, and exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the tests' catalogue of notebooks

from test_slots import HOSTILE, notebook  # noqa: E402  (the notebooks of tests/hostile/slots/)


def hand_in(folder: Path, notebooks: int, every: int) -> dict[str, str]:
    """The submissions folder: learner -> the cell of their notebook."""
    cells = {}
    for number in range(notebooks):
        hostile = number % every == every - 1
        cell = HOSTILE[(number // every) % len(HOSTILE)] if hostile else "honest"
        learner = f"{number:05d}_{cell}"
        (folder / learner).mkdir(parents=True)
        nbformat.write(notebook(cell), folder / learner / "hello_nets.ipynb")
        cells[learner] = cell
    return cells


def grade(folder: Path, jobs: int) -> tuple[list[float], dict, str]:
    """Run `keras-course grade`; the time each notebook's progress line came, the JSON report,
    and what grade printed past its progress lines."""
    report = folder.parent / f"{folder.name}.json"
    command = [sys.executable, "-m", "keras_course", "grade", str(folder), "--jobs", str(jobs)]
    command += ["--json", str(report)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    times, other = [], []
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("graded "):
            times.append(time.monotonic())
        else:
            other.append(line)
    code = process.wait()
    if code != 0 or not report.is_file():
        raise SystemExit(f"keras-course grade exited {code}: {''.join(other)[-2000:]}")
    return times, json.loads(report.read_text(encoding="utf-8")), "".join(other)


def results_of(report: dict) -> dict[str, dict]:
    return {r["learner"]: r for r in report["results"] if r["exercise"] == "hello_nets"}


def leftovers() -> list[str]:
    """What an ended batch may leave, on a machine where no other batch runs: slot folders,
    cgroups whose owner has ended, fork servers and the hostile notebooks' processes (main()
    counts only what was not there before the batch)."""
    from keras_course.grade.slots import SLOT_PREFIX
    from keras_course.run.cgroups import PREFIX, _parents
    from keras_course.run.leftovers import owner_alive

    found = [str(p) for p in Path(tempfile.gettempdir()).glob(f"{SLOT_PREFIX}*")]
    groups = [p for parent in _parents() for p in parent.glob(f"{PREFIX}*")]
    found += [str(p) for p in groups if not owner_alive(p.name, PREFIX)]
    for entry in os.listdir("/proc"):
        try:
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if b"hostile" in command or b"keras_course.run.inside.forkserver_init" in command:
            shown = command.replace(b"\0", b" ").decode(errors="replace")[:120]
            found.append(f"process {entry}: {shown}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--every", type=int, default=50, help="a hostile notebook every N")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="keras-course-soak-") as tmp:
        alone_folder = Path(tmp) / "alone"
        hand_in(alone_folder, 1, args.every)
        _, alone_report, _ = grade(alone_folder, 1)
        alone = as_json_dict(next(iter(results_of(alone_report).values())))
        batch = Path(tmp) / "batch"
        cells = hand_in(batch, args.notebooks, args.every)
        before = set(leftovers())
        started = time.monotonic()
        times, report, printed = grade(batch, args.jobs)
        wall = time.monotonic() - started
        left = [item for item in leftovers() if item not in before]
        return verdict(cells, results_of(report), alone, times, wall, printed, left)


def as_json_dict(result: dict) -> str:
    return json.dumps({**result, "learner": ""}, sort_keys=True)


def verdict(
    cells: dict, results: dict, alone: str, times: list[float], wall: float, printed: str, left: list[str]
) -> int:
    honest = [learner for learner, cell in cells.items() if cell == "honest"]
    wrong = [learner for learner in honest if as_json_dict(results.get(learner, {})) != alone]
    hostile = len(cells) - len(honest)
    window = min(100, len(times) // 2)
    first = (times[window - 1] - times[0]) / max(window - 1, 1)
    last = (times[-1] - times[-window]) / max(window - 1, 1)
    print(f"graded {len(results)} notebooks ({len(honest)} honest, {hostile} hostile) in {wall:.0f} s")
    ratio = last / first if first else float("nan")
    print(f"seconds per notebook: first {window}: {first:.2f}; last {window}: {last:.2f} (ratio {ratio:.2f})")
    print(f"honest notebooks whose result differs from the one they get alone: {len(wrong)} {wrong[:5]}")
    print(f"leftovers: {left or 'none'}")
    if printed.strip():
        print(f"grade also printed:\n{printed.strip()[:2000]}")
    return 1 if wrong or left or len(times) != len(cells) else 0


if __name__ == "__main__":
    sys.exit(main())
