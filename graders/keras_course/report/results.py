"""Grading results and the files made from them: JSON, gradebook CSV, JUnit XML, checklists.

An exercise a learner did not hand in is "not submitted", which is not 0: its cell in the CSV
is empty, in the summary table it is "-", and in JUnit its checks are skipped.

A notebook the grader failed on (Result.grader_error: the machinery's fault, not the learner's)
has no grade yet: its cell in the CSV is empty, and so is its learner's total; in the summary
table it is "!", and in JUnit its `run` testcase is an error of type "grader-error".

A check on held-out data graded where that data is not (the learner package) is pending:
`"pending": true`, no points, and not failed; the checklist says how many points wait for the
hand-in, and JUnit skips it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path
from xml.etree import ElementTree as ET

from keras_course.course.config import Exercise

NOT_SUBMITTED = "not submitted"  # the error of the result of an exercise not handed in
# The error of a result the grading machinery failed on (Result.grader_error), not the learner's.
GRADER_FAILED = "the grader failed on this notebook; it will be graded again"
PENDING = "checked when you hand it in"


@dataclass
class CheckResult:
    name: str
    passed: bool
    points: float
    max_points: float
    feedback: str
    pending: bool = False  # needs held-out data, which is not here: checked when handed in
    measured: str = ""  # what a failed check found, in a few words ("layer 2: 32 units"), if it said


@dataclass
class Result:
    learner: str
    exercise: str
    score: float
    max_score: float
    error: str | None
    checks: list[CheckResult] = field(default_factory=list)
    cell_errors: list[str] = field(default_factory=list)
    isolation: str = "none"  # what the kernel ran under: "sandbox", "user" or "none" (sandbox.py)
    grader_error: bool = False  # the error is the grader's failure, not the learner's: no grade yet

    @property
    def submitted(self) -> bool:
        return self.error != NOT_SUBMITTED

    @property
    def pending_points(self) -> float:
        """The points of the checks that run only where the instructor grades."""
        return float(sum(c.max_points for c in self.checks if c.pending))

    @property
    def passed_here(self) -> bool:
        """Every check that could run here passed (the pending ones aside), and the run had no error."""
        return not self.error and self.score == self.max_score - self.pending_points

    @classmethod
    def from_dict(cls, raw: dict) -> Result:
        checks = [CheckResult(**c) for c in raw.get("checks", [])]
        return cls(
            learner=raw["learner"],
            exercise=raw["exercise"],
            score=float(raw["score"]),
            max_score=float(raw["max_score"]),
            error=raw.get("error"),
            checks=checks,
            cell_errors=list(raw.get("cell_errors", [])),
            isolation=str(raw.get("isolation", "none")),
            grader_error=raw.get("grader_error") is True,  # absent from results of older versions
        )


def zero_result(learner: str, exercise: Exercise, error: str, feedback: str) -> Result:
    """A result of no points, every check of the exercise listed with this feedback: what was
    not submitted, or could not be graded (error says which)."""
    checks = [CheckResult(name, False, 0.0, points, feedback) for name, points in exercise.checks.items()]
    return Result(learner, exercise.id, 0.0, exercise.max_score, error, checks)


def to_json(results: list[Result]) -> str:
    return json.dumps({"results": [asdict(r) for r in results]}, indent=2, ensure_ascii=False)


def write_atomic(path: Path, text: str) -> None:
    """Write text to path so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.replace(tmp, path)


def gradebook_rows(
    results: list[Result],
    exercises: list[str],
    names: dict[str, str] | None = None,
    missing: str = "",
    failed: str = "",
) -> list[list[str]]:
    """The header, the maximum points, then a row per learner (sorted by id) with their name,
    score per exercise (`missing` where not submitted, `failed` where the grader failed) and
    total (of what they handed in; `failed` while a grade is missing because the grader failed)."""
    names = names or {}
    maximum = {r.exercise: r.max_score for r in results}
    shown = {
        (r.learner, r.exercise): failed if r.grader_error else f"{r.score:g}" for r in results if r.submitted
    }
    rows = [["learner", "name", *exercises, "total"]]
    rows.append(["max points", "", *(f"{maximum[ex]:g}" for ex in exercises), f"{sum(maximum.values()):g}"])
    handed_in: dict[str, list[Result]] = {r.learner: [] for r in results}
    for r in results:
        handed_in[r.learner] += [r] if r.submitted else []
    for learner, mine in sorted(handed_in.items()):
        cells = [shown.get((learner, ex), missing) for ex in exercises]
        rows.append([learner, names.get(learner, learner), *cells, total_cell(mine, missing, failed)])
    return rows


def total_cell(handed_in: list[Result], missing: str, failed: str) -> str:
    """A learner's total of what they handed in; `failed` while the grader failed on any of it."""
    if any(r.grader_error for r in handed_in):
        return failed
    return f"{sum(r.score for r in handed_in):g}" if handed_in else missing


def to_csv(results: list[Result], exercises: list[str], names: dict[str, str] | None = None) -> str:
    """The gradebook: not submitted is an empty cell, which spreadsheets and LMSs read as no grade."""
    return csv_text(gradebook_rows(results, exercises, names))


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def to_junit(results: list[Result]) -> str:
    """One testsuite per learner and exercise, one testcase per check (and one named `run` for
    a notebook that could not be graded); the counts are those of the testcases. The checks of
    an exercise not handed in are skipped."""
    suites = ET.Element("testsuites", name="keras-course")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for r in results:
        suite = ET.SubElement(suites, "testsuite", name=f"{r.learner}.{r.exercise}")
        if r.error and r.submitted:
            case = ET.SubElement(suite, "testcase", classname=suite.get("name"), name="run")
            kind = "grader-error" if r.grader_error else "notebook-error"
            ET.SubElement(case, "error", message=r.error, type=kind).text = r.error
        for c in r.checks:
            case = ET.SubElement(suite, "testcase", classname=suite.get("name"), name=c.name)
            if not r.submitted:
                ET.SubElement(case, "skipped", message=NOT_SUBMITTED)
            elif c.pending:
                ET.SubElement(case, "skipped", message=PENDING)
            elif not c.passed:
                ET.SubElement(case, "failure", message=c.feedback).text = c.feedback
        counts = {
            "tests": len(suite.findall("testcase")),
            "failures": len(suite.findall("testcase/failure")),
            "errors": len(suite.findall("testcase/error")),
            "skipped": len(suite.findall("testcase/skipped")),
        }
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key in ("tests", "failures", "errors"):  # the attributes a testsuites element may have
        suites.set(key, str(totals[key]))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


NOT_ISOLATED = "Note: this run was not isolated (no sandbox), so it is a practice check only."
TEXT_MARKS = {"error": "!", "passed": "✓", "failed": "✗", "pending": "…"}
COLORS = {"passed": "\033[32m", "failed": "\033[31m"}


def checklist_entries(result: Result, note: str | None = None) -> list[tuple[str, str]]:
    """The checklist as (kind, text) pairs: a "note" (by default, that the run was not isolated),
    the "title", an "error" per problem of the run, a "passed", "failed" or "pending" per check,
    and the "total"."""
    entries = []
    note = note if note is not None else (NOT_ISOLATED if result.isolation == "none" else "")
    if note:
        entries.append(("note", note))
    entries.append(("title", f"{result.exercise}: {result.learner}" if result.learner else result.exercise))
    entries += [("error", problem) for problem in [result.error, *result.cell_errors] if problem]
    for c in result.checks:
        if c.pending:
            entries.append(("pending", f"{c.name} [{c.max_points:g} pending] {c.feedback}"))
        else:
            kind = "passed" if c.passed else "failed"
            entries.append((kind, f"{c.name} [{c.points:g}/{c.max_points:g}] {c.feedback}"))
    entries.append(("total", total_line(result)))
    return entries


def checklist(result: Result, color: bool = False, note: str | None = None) -> str:
    """The learner's view of one result as text: a line per check, then the total."""
    lines = []
    for kind, text in checklist_entries(result, note):
        if kind in ("note", "title"):
            lines.append(text)
        elif kind == "total":
            lines.append(f"  {text}")
        else:
            mark = TEXT_MARKS[kind]
            if color and kind in COLORS:
                mark = f"{COLORS[kind]}{mark}\033[0m"
            lines.append(f"  {mark} {text}")
    return "\n".join(lines)


def checklist_html(result: Result, note: str | None = None) -> str:
    """The same checklist as HTML, for a notebook (everything the result says is escaped)."""
    colors = {"passed": "#1a7f37", "failed": "#cf222e", "error": "#cf222e", "pending": "#6e7781"}
    parts = ['<div class="keras-course-checklist">']
    for kind, text in checklist_entries(result, note):
        if kind == "note":
            parts.append(f"<p><em>{escape(text)}</em></p>")
        elif kind in ("title", "total"):
            parts.append(f"<p><strong>{escape(text)}</strong></p>")
        else:
            mark = f'<span style="color:{colors[kind]}">{TEXT_MARKS[kind]}</span>'
            parts.append(f'<div style="margin-left:1em">{mark} {escape(text)}</div>')
    parts.append("</div>")
    return "\n".join(parts)


def total_line(result: Result) -> str:
    """The checklist's last line: the score, and the points that wait for the hand-in, if any."""
    pending = result.pending_points
    if not pending:
        return f"Total: {result.score:g}/{result.max_score:g}"
    return (
        f"Total: {result.score:g}/{result.max_score - pending:g} of the checks that run here; "
        f"{pending:g} more points are {PENDING}"
    )


def summary_table(results: list[Result], exercises: list[str], names: dict[str, str] | None = None) -> str:
    """The gradebook as a table to read, "-" where an exercise was not submitted."""
    rows = gradebook_rows(results, exercises, names, missing="-", failed="!")
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    if any(not r.submitted for r in results):
        lines.append("(- : not submitted)")
    if any(r.grader_error for r in results):
        lines.append(f"(! : {GRADER_FAILED} with --resume)")
    return "\n".join(lines)
