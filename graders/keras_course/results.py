"""Grading results and the files made from them: JSON, gradebook CSV, JUnit XML, checklists."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET


@dataclass
class CheckResult:
    name: str
    passed: bool
    points: float
    max_points: float
    feedback: str


@dataclass
class Result:
    learner: str
    exercise: str
    score: float
    max_score: float
    error: str | None
    checks: list[CheckResult] = field(default_factory=list)
    cell_errors: list[str] = field(default_factory=list)
    isolation: str = "none"  # what the kernel ran under: "sandbox" or "none" (sandbox.py)

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
        )


def to_json(results: list[Result]) -> str:
    return json.dumps({"results": [asdict(r) for r in results]}, indent=2, ensure_ascii=False)


def write_atomic(path: Path, text: str) -> None:
    """Write text to path so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.replace(tmp, path)


def gradebook_rows(results: list[Result], exercises: list[str]) -> list[list[str]]:
    """Learner × exercise scores and the total, learners sorted by name."""
    learners = sorted({r.learner for r in results})
    score = {(r.learner, r.exercise): r.score for r in results}
    rows = [["learner", *exercises, "total"]]
    for learner in learners:
        cells = [score.get((learner, ex), 0.0) for ex in exercises]
        rows.append([learner, *(f"{c:g}" for c in cells), f"{sum(cells):g}"])
    return rows


def to_csv(results: list[Result], exercises: list[str]) -> str:
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(gradebook_rows(results, exercises))
    return buffer.getvalue()


def to_junit(results: list[Result]) -> str:
    """One testsuite per learner and exercise, one testcase per check."""
    suites = ET.Element("testsuites", name="keras-course")
    for r in results:
        failed = sum(1 for c in r.checks if not c.passed)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"{r.learner}.{r.exercise}",
            tests=str(max(len(r.checks), 1)),
            failures=str(failed),
            errors="1" if r.error else "0",
        )
        if r.error:
            case = ET.SubElement(suite, "testcase", classname=suite.get("name"), name="run")
            ET.SubElement(case, "error", message=r.error).text = r.error
        for c in r.checks:
            case = ET.SubElement(suite, "testcase", classname=suite.get("name"), name=c.name)
            if not c.passed:
                ET.SubElement(case, "failure", message=c.feedback).text = c.feedback
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def checklist(result: Result, color: bool = False) -> str:
    """The learner's view of one result: a line per check, then the total."""
    ok, bad = ("\033[32m✓\033[0m", "\033[31m✗\033[0m") if color else ("✓", "✗")
    lines = [f"{result.exercise}: {result.learner}" if result.learner else result.exercise]
    if result.isolation == "none":
        lines.insert(0, "Note: this run was not isolated (no sandbox), so it is a practice check only.")
    if result.error:
        lines.append(f"  ! {result.error}")
    for note in result.cell_errors:
        lines.append(f"  ! {note}")
    for c in result.checks:
        mark = ok if c.passed else bad
        lines.append(f"  {mark} {c.name} [{c.points:g}/{c.max_points:g}] {c.feedback}")
    lines.append(f"  Total: {result.score:g}/{result.max_score:g}")
    return "\n".join(lines)


def summary_table(results: list[Result], exercises: list[str]) -> str:
    rows = gradebook_rows(results, exercises)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows
    )
