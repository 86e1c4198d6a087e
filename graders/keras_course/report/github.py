"""A result as a GitHub Actions step hands it to GitHub Classroom, with partial credit per check.

GitHub Classroom's stock command grader scores a whole step all or nothing. Its reporter
(classroom-resources/autograding-grading-reporter) reads each runner's result from the env
`<STEP ID>_RESULTS`, base64 JSON of "version 1", and adds up the `score` of every test: so a step
that writes its own result, one test per check, gives credit check by check. The format, from
the reporter's source (src/main.js, src/notify-classroom.js, src/console-results.js) and the
command grader's output (src/main.js):

    {"version": 1, "status": "pass"|"fail"|"error", "max_score": <whole>,
     "tests": [{"name", "status", "score", "message", "test_code", "filename", "line_no"}]}

The reporter fails the run when a runner's status is "fail" or "error", prints a test as ✅
(pass), ❌ (fail) or its message (error), and reports the sum of the scores out of the sum of
`max_score`. Classroom counts whole points, so every point value must be a whole number.

Checks on held-out data cannot run in a learner's repository: they stay pending, out of
`max_score`, listed as passed tests of 0 points that say so (never ❌, which would send the
learner hunting a mistake that is not there).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping

from keras_course.course.config import Exercise
from keras_course.course.errors import CourseError
from keras_course.report.results import Result, checklist_entries

OUTPUT_NAME = "result"  # the reporter reads steps.<id>.outputs.result
NOTE = (
    "GitHub Classroom's score is feedback: your instructor grades the notebooks you hand in, "
    "with the checks on held-out data too."
)
MARKS = {"passed": "✅", "failed": "❌", "pending": "⏳", "error": "⚠️"}


def whole_points(exercise: Exercise) -> dict[str, int]:
    """Each check's points as a whole number, as GitHub Classroom counts them; CourseError
    naming course.toml and the check for a point value that is not whole."""
    whole = {}
    for check, points in exercise.checks.items():
        if points != int(points) or points < 0:
            raise CourseError(
                f"course.toml: [exercises.{exercise.id}.checks] {check} = {points:g}: GitHub Classroom "
                "counts whole points only; make it a whole number"
            )
        whole[check] = int(points)
    return whole


def classroom_result(result: Result, exercise: Exercise) -> dict:
    """The version-1 result of one graded notebook: a test per check, named with the check's
    line of the checklist (the reporter prints a failed test's name, not its message), and one
    named `run` for a notebook that did not run to the end; pending checks out of max_score."""
    points = whole_points(exercise)
    lines = [text for kind, text in checklist_entries(result) if kind in ("passed", "failed", "pending")]
    tests = [run_test(result.error)] if result.error else []
    for check, line in zip(result.checks, lines, strict=True):
        score = points[check.name] if check.passed and not check.pending else 0
        status = "pass" if check.passed or check.pending else "fail"
        tests.append(test(f"{result.exercise}: {one_line(line)}", status, score, one_line(check.feedback)))
    max_score = sum(points[c.name] for c in result.checks if not c.pending)
    status = "error" if result.error else "pass" if result.passed_here else "fail"
    return {"version": 1, "status": status, "max_score": max_score, "tests": tests}


def run_test(error: str) -> dict:
    """The run of the notebook, when it stopped: the reporter prints an error test's message."""
    return test("run", "error", 0, one_line(error))


def test(name: str, status: str, score: int, message: str | None) -> dict:
    """A test in the shape the stock command grader writes (no line, no file, no test code)."""
    return {
        "name": name,
        "status": status,
        "score": score,
        "message": message,
        "test_code": "",
        "filename": "",
        "line_no": 0,
    }


def encoded(result: dict) -> str:
    """The result as the reporter decodes it: base64 of its UTF-8 JSON, on one line."""
    return base64.b64encode(json.dumps(result, ensure_ascii=False).encode("utf-8")).decode("ascii")


def summary_markdown(result: Result) -> str:
    """The learner's checklist as Markdown for the step's summary page."""
    lines = []
    for kind, text in checklist_entries(result, note=NOTE):
        text = markdown_text(text)
        if kind == "title":
            lines.append(f"### {text}")
        elif kind in ("note", "total"):
            lines.append(f"\n*{text}*\n" if kind == "note" else f"\n**{text}**")
        else:
            lines.append(f"- {MARKS[kind]} {text}")
    return "\n".join(lines) + "\n"


def markdown_text(text: str) -> str:
    """One line of the checklist as Markdown text: HTML's specials escaped (the learner's own
    code is quoted in a cell error), its backticks kept as code."""
    return one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def one_line(text: str) -> str:
    return " ".join(text.split())


def step_files(environ: Mapping[str, str] | None = None) -> tuple[str, str | None]:
    """Where a GitHub Actions step's outputs and summary go; CourseError outside a step."""
    environ = os.environ if environ is None else environ
    output = environ.get("GITHUB_OUTPUT")
    if not output:
        raise CourseError(
            "--github: GITHUB_OUTPUT is not set; --github writes a GitHub Actions step's result, "
            "so run it in a workflow step"
        )
    return output, environ.get("GITHUB_STEP_SUMMARY") or None


def write_step_outputs(result: Result, exercise: Exercise, environ: Mapping[str, str] | None = None) -> None:
    """Append the result to the step's outputs ($GITHUB_OUTPUT) as `result`, and the checklist
    to its summary ($GITHUB_STEP_SUMMARY, where set)."""
    output, summary = step_files(environ)
    append(output, f"{OUTPUT_NAME}={encoded(classroom_result(result, exercise))}\n")
    if summary:
        append(summary, summary_markdown(result) + "\n")


def append(path: str, text: str) -> None:
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise CourseError(f"--github: cannot write {path} ({exc.strerror or exc})") from None
