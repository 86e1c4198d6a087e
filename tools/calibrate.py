"""Calibrate the thresholds: run reference solutions and wrong variants over many seeds.

    python tools/calibrate.py --seeds 20 [--exercise darts] [--variants 3]

For each trained exercise it runs the reference solution once per seed and prints the held-out
measure (min, median, max), then the same for the realistic wrong variants in
tests/mistakes.py that train a model. A good threshold sits below the reference's worst seed
(above it for a loss) and above the variants' best. The figures go into course.toml.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from keras_course.checks.metrics import MEASURES, heldout_measure, orbit_error
from keras_course.checks.submission import Submission
from keras_course.course.config import load_course
from keras_course.course.paths import ROOT, SOLUTIONS, instructor_only
from keras_course.run.runner import run_notebook


def measure(notebook_text: str, exercise_id: str, seed: int) -> dict[str, float]:
    """Run one notebook with one seed and return its held-out figures."""
    exercise = load_course().exercise(exercise_id)
    with tempfile.TemporaryDirectory(prefix="keras-course-calibrate-") as tmp:
        notebook = Path(tmp) / f"{exercise_id}.ipynb"
        notebook.write_text(notebook_text, encoding="utf-8")
        run = run_notebook(notebook, exercise, Path(tmp) / "work", seed=seed, timeout=900)
        submission = Submission(exercise, run)
        try:
            model = submission.model()
            figures = {MEASURES[exercise_id]: heldout_measure(exercise_id, model)}
            if exercise_id == "meteor_orbit":
                figures["twenty_min_orbit"] = orbit_error(submission.array("twenty_min_orbit", ""))
        except AssertionError as exc:
            figures = {"error": str(exc)}  # type: ignore[dict-item]
    return figures


def describe(values: list[float]) -> str:
    return (
        f"min {min(values):.4f}  median {statistics.median(values):.4f}  max {max(values):.4f}"
        f"  (n={len(values)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--variants", type=int, default=3, help="seeds per wrong variant")
    parser.add_argument("--exercise", action="append", help="only these exercises")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(instructor_only(ROOT / "tests", "calibration")))
    from mistakes import MISTAKES  # the same wrong variants the tests use

    exercises = args.exercise or list(MEASURES)
    runs = []
    for exercise_id in exercises:
        reference = (SOLUTIONS / f"{exercise_id}.ipynb").read_text(encoding="utf-8")
        runs += [(exercise_id, "reference", reference, seed) for seed in range(args.seeds)]
        for mistake in MISTAKES:
            if mistake.exercise == exercise_id and mistake.trains:
                text = mistake.apply(reference)
                runs += [(exercise_id, mistake.name, text, s) for s in range(args.variants)]

    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(measure, text, ex, seed) for ex, _, text, seed in runs]
        outcomes = [f.result() for f in futures]

    table: dict[tuple[str, str, str], list[float]] = {}
    for (exercise_id, variant, _, _), figures in zip(runs, outcomes, strict=True):
        for name, value in figures.items():
            if name != "error":
                table.setdefault((exercise_id, variant, name), []).append(value)
            else:
                print(f"{exercise_id} {variant}: {value}")
    for (exercise_id, variant, name), values in table.items():
        print(f"{exercise_id:<13} {variant:<28} {name:<17} {describe(values)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
