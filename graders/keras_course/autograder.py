"""Gradescope's autograder: `python -m keras_course.autograder --assignment NAME --minutes N`,
which the zip's run_autograder (author/gradescope_zip.py) runs, as root, for each submission.

It grades ROOT/submission, ROOT being KERAS_COURSE_AUTOGRADER_ROOT or else /autograder (so that
a test runs the real run_autograder in a folder of its own), and it always writes
ROOT/results/results.json: at once, one that says that grading has not ended; after each
notebook, the results so far; on a failure of its own, one that says so. Before any learner code
runs, the grader's files are closed to other users (`chmod o=`: source/ with the held-out data,
results/, submission/ and submission_metadata.json), as Gradescope's best practices say, for
the unprivileged user that runs learner code where the sandbox cannot (run/unprivileged.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

from keras_course.course.config import load_course
from keras_course.course.errors import CourseError
from keras_course.grade.gradescope_submission import Graded, exercises_of, grade_submission
from keras_course.grade.grading import error_result
from keras_course.report.gradescope import results_json
from keras_course.report.results import write_atomic

ROOT_ENV = "KERAS_COURSE_AUTOGRADER_ROOT"
CLOSED = ("source", "results", "submission", "submission_metadata.json")  # to users other than root
FAILED = (
    "the autograder failed ({}). This is the autograder's fault, not your notebook's: ask your "
    "instructor to run it again"
)


class ResultsFile:
    """ROOT/results/results.json, written whole each time (write_atomic)."""

    def __init__(self, root: Path, assignment: str) -> None:
        self.path = root / "results" / "results.json"
        self.assignment = assignment
        self.started = time.monotonic()

    def write(self, graded: Graded) -> None:
        seconds = time.monotonic() - self.started
        extra = {"assignment": self.assignment, "isolation": graded.isolation}
        course = load_course()
        data = results_json(
            graded.results, course, graded.notes, graded.problems, seconds, extra, graded.sections
        )
        write_atomic(self.path, json_text(data))

    def failed(self, exc: BaseException) -> None:
        """What the autograder's own failure leaves: every notebook not graded, and why."""
        why = FAILED.format(f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
        try:
            exercises = exercises_of(load_course(), self.assignment)
            self.write(Graded([error_result("", e.id, why) for e in exercises]))
        except Exception:  # not even the course could be read: a score and the reason
            write_atomic(self.path, json_text({"score": 0.0, "output": why, "tests": []}))


def json_text(data: dict) -> str:
    import json

    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def close_to_others(root: Path) -> None:
    """Take every right of other users away from the grader's files (chmod o=)."""
    for name in CLOSED:
        path = root / name
        if path.exists() and not path.is_symlink():
            try:
                os.chmod(path, path.stat().st_mode & ~0o007)
            except OSError as exc:
                raise CourseError(f"{path}: cannot close it to other users ({exc.strerror})") from None


def main(argv: list[str] | None = None) -> int:
    if not sys.warnoptions:  # the learner reads results.json, not Python's warnings
        warnings.simplefilter("ignore")
    parser = argparse.ArgumentParser(prog="python -m keras_course.autograder")
    parser.add_argument("--assignment", required=True, help="the assignment of course.toml to grade")
    parser.add_argument("--minutes", type=float, default=10, help="the autograder's timeout on Gradescope")
    args = parser.parse_args(argv)
    root = Path(os.environ.get(ROOT_ENV) or "/autograder")
    results = ResultsFile(root, args.assignment)
    try:
        close_to_others(root)
        deadline = results.started + args.minutes * 60
        graded = grade_submission(root / "submission", args.assignment, deadline, results.write)
        results.write(graded)
        for result in graded.results:
            print(
                f"keras-course: {result.exercise}: {result.score:g}/{result.max_score:g} {result.error or ''}"
            )
    except Exception as exc:  # the autograder's own failure: results.json says so all the same
        results.failed(exc)
        print(f"keras-course: the autograder failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
