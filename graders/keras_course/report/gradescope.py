"""Gradescope's results.json for one submission, as its autograder specification describes it.

One test per check: `number` "exercise.check", the check's points, `status` "passed" or
"failed", its feedback as Markdown, and in `extra_data` the exercise, the check and the value it
measured. A check on held-out data (course.toml `hidden`) is shown after the due date only
(`after_due_date`); a visible test with no points says how many points those carry. Nothing
before the due date tells a held-out result: not its test, not the top-level output, whose
checklist shows those checks as checked after the due date (learner_view), and not a top-level
score (none is given: Gradescope adds the tests up as it shows them). `hidden` and
`after_published` are never used: Gradescope then hides the learner's total.

The top-level output is made by top_output alone: today the Markdown checklist.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape

from keras_course.course.config import Course, Exercise, load_course
from keras_course.report.html_report import Part, learner_report
from keras_course.report.results import CheckResult, Result, checklist_entries
from keras_course.report.section import Section

AFTER_DUE_DATE = "after_due_date"
HIDDEN_FEEDBACK = "Checked after the due date, on data your model has never seen; shown then."
MARKS = {"error": "**!**", "passed": "✓", "failed": "✗", "pending": "…"}


def results_json(
    results: list[Result],
    course: Course,
    notes: list[str],
    problems: list[str],
    seconds: float,
    extra: dict,
    sections: dict[str, Section | None] | None = None,
) -> dict:
    """The whole results.json: a test per check of each result, the settings' problems as a
    failed test of no points, the held-out notice, and the checklist as the top-level output."""
    tests = [check_test(r, course.exercise(r.exercise), c) for r in results for c in r.checks]
    tests += [settings_test(problems)] if problems else []
    tests += heldout_notice(results, course)
    views = [learner_view(r, course.exercise(r.exercise)) for r in results]
    text, text_format = top_output(views, notes, sections)
    return {
        "output": text,
        "output_format": text_format,
        "test_output_format": "md",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "execution_time": round(seconds),
        "extra_data": extra,
        "tests": tests,
    }


def check_test(result: Result, exercise: Exercise, check: CheckResult) -> dict:
    """One check as a Gradescope test; shown after the due date when it is on held-out data."""
    return {
        "number": f"{result.exercise}.{check.name}",
        "name": f"{exercise.title}: {check.name}",
        "score": check.points,
        "max_score": check.max_points,
        "status": "passed" if check.passed else "failed",
        "output": markdown(check.feedback),
        "output_format": "md",
        "visibility": AFTER_DUE_DATE if check.name in exercise.hidden else "visible",
        "extra_data": {"exercise": result.exercise, "check": check.name, "measured": check.measured},
    }


def settings_test(problems: list[str]) -> dict:
    """What the autograder found wrong with its settings, as a failed test of no points."""
    return {
        "number": "settings",
        "name": "Autograder settings",
        "score": 0.0,
        "max_score": 0.0,
        "status": "failed",
        "output": "\n\n".join(markdown(problem) for problem in problems),
        "output_format": "md",
        "visibility": "visible",
    }


def heldout_notice(results: list[Result], course: Course) -> list[dict]:
    """A visible test of no points that says how many points are checked after the due date."""
    hidden = [
        (r.exercise, c) for r in results for c in r.checks if c.name in course.exercise(r.exercise).hidden
    ]
    if not hidden:
        return []
    points = sum(c.max_points for _, c in hidden)
    which = ", ".join(f"{exercise}: {c.name} ({c.max_points:g})" for exercise, c in hidden)
    text = (
        f"{points:g} points are checked on data your model has never seen ({which}). "
        "Their results show after the due date."
    )
    return [
        {
            "number": "after_due_date",
            "name": "Checked after the due date",
            "score": 0.0,
            "max_score": 0.0,
            "output": markdown(text),
            "output_format": "md",
            "visibility": "visible",
        }
    ]


def learner_view(result: Result, exercise: Exercise) -> Result:
    """The result as the learner may see it before the due date: each held-out check pending,
    with neither its points nor its feedback."""
    hidden = [c for c in result.checks if c.name in exercise.hidden]
    checks = [
        CheckResult(c.name, False, 0.0, c.max_points, HIDDEN_FEEDBACK, pending=True) if c in hidden else c
        for c in result.checks
    ]
    return replace(result, checks=checks, score=result.score - sum(c.points for c in hidden))


def top_output(
    results: list[Result], notes: list[str], sections: dict[str, Section | None] | None = None
) -> tuple[str, str]:
    """The top-level output and its format: the learner's HTML report (report/html_report.py)
    where the gradings drew their sections, with no figure of held-out totals (the held-out
    checks are shown after the due date); else the notes, then each checklist, in Markdown."""
    if sections is not None:
        parts = [
            Part(load_course().exercise(r.exercise), r, before_due(sections.get(r.exercise))) for r in results
        ]
        html = learner_report("Your report", "Your report", parts, tuple(note for note in notes if note))
        return html, "html"
    lines = [markdown(note) for note in notes if note]
    lines += [markdown_checklist(result) for result in results]
    return "\n\n".join(lines), "md"


def before_due(section: Section | None) -> Section | None:
    """The section without the figures drawn from held-out totals."""
    if section is None:
        return None
    return replace(section, figures=tuple(f for f in section.figures if not f.heldout))


def markdown_checklist(result: Result) -> str:
    """One result's checklist in Markdown: its problems, a line per check, then the total."""
    lines = [f"### {markdown(result.exercise)}", ""]
    if not result.submitted:
        points = f"{result.max_score:g} points"
        return "\n".join([*lines, f"Not submitted: hand in {markdown(result.exercise)}.ipynb ({points})."])
    for kind, text in checklist_entries(result, note=""):
        if kind in MARKS:
            lines.append(f"- {MARKS[kind]} {markdown(text)}")
    lines += ["", f"**{markdown(total(result))}**"]
    return "\n".join(lines)


def total(result: Result) -> str:
    """The score of the checks shown, and the points that wait for the due date, if any."""
    pending = result.pending_points
    shown = f"Total: {result.score:g}/{result.max_score - pending:g}"
    return f"{shown}; {pending:g} more points after the due date" if pending else shown


def markdown(text: str) -> str:
    """Text for Markdown: no HTML of a learner's (a cell's error quotes their code) gets through."""
    return escape(text, quote=False)
