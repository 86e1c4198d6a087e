"""What the grader's figures (grade/figures.py) cost per notebook, on each exercise's reference.

    python tools/figures_cost.py [--exports DIR] [--repeat 5] [exercise ...]

Each reference solution runs once in this process, as the fast tests run notebooks
(tests/run_here.py, its training included), and its export is kept in DIR/<exercise>
(default .cache/figure-exports) for later runs. Then, for each exercise, a fresh Python process
that has imported the grader (as a grading process has) draws the export's figures `--repeat`
times. The first drawing is the first notebook of a grading process: it imports matplotlib and
seaborn and reads the course's data. The median of the others is each later notebook's cost.
Wall and CPU seconds are printed: on a shared machine, CPU seconds are the steadier figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from keras_course.course.paths import SOLUTIONS

ROOT = Path(__file__).resolve().parent.parent
TRAINED = ("meteor_orbit", "dollar_bills", "darts", "irrigation")
DRAW = """
import json, sys, time
from pathlib import Path
from keras_course.grade.figures import exercise_figures
exercise, artifacts, repeat = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
seconds, cpu, count = [], [], 0
for _ in range(repeat):
    start, start_cpu = time.perf_counter(), time.process_time()
    count = len(exercise_figures(exercise, artifacts))
    seconds.append(time.perf_counter() - start)
    cpu.append(time.process_time() - start_cpu)
print(json.dumps({"figures": count, "seconds": seconds, "cpu": cpu}))
"""


def export_of(exercise: str, exports: Path) -> Path:
    """The reference solution's export folder, made once."""
    folder = exports / exercise
    if not (folder / "artifacts" / "manifest.json").is_file():
        sys.path.insert(0, str(ROOT / "tests"))
        from run_here import grade_here  # lazy: runs notebooks with TensorFlow, only when needed

        notebook = (SOLUTIONS / f"{exercise}.ipynb").read_text(encoding="utf-8")
        grade_here(notebook, exercise, folder)
    return folder / "artifacts"


def cost(exercise: str, artifacts: Path, repeat: int) -> dict:
    """The figures' count and seconds, drawn in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", DRAW, exercise, str(artifacts), str(repeat)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercises", nargs="*", default=list(TRAINED))
    parser.add_argument("--exports", type=Path, default=ROOT / ".cache" / "figure-exports")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'exercise':<14}{'figures':>8}  first: wall, CPU (s)  later: wall, CPU (s)")
    for exercise in args.exercises:
        measured = cost(exercise, export_of(exercise, args.exports), max(args.repeat, 2))
        wall, cpu = measured["seconds"], measured["cpu"]
        first = f"{wall[0]:.2f}, {cpu[0]:.2f}"
        later = f"{statistics.median(wall[1:]):.2f}, {statistics.median(cpu[1:]):.2f}"
        print(f"{exercise:<14}{measured['figures']:>8}  {first:>20}  {later:>20}")


if __name__ == "__main__":
    main()
