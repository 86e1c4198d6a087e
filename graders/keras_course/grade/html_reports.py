"""Write the HTML reports: one learner's report per learner and the class dashboard
(`grade --html-dir DIR`), or the report of one notebook checked (`check --html FILE`).

The reports are drawn from the results and the sections the gradings drew where the exports
were (report/section.py): kept beside the stored results for a batch (result_store.py), in a
temporary file for `check`. A result without a section (not submitted, not run, the grader
failed) still has its checklist, and says why there is no model to show.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from keras_course.course.config import load_course
from keras_course.course.errors import CourseError
from keras_course.grade.grading import grade_notebook
from keras_course.grade.result_store import kept_section
from keras_course.report.dashboard import dashboard_html, report_file_name
from keras_course.report.html_report import Part, learner_report
from keras_course.report.results import Result, write_atomic
from keras_course.report.section import Section

DASHBOARD = "index.html"


def parts_of(results: list[Result], sections: Callable[[Result], Section | None]) -> list[Part]:
    """The parts of a report, in the course's order."""
    course = load_course()
    order = {exercise: i for i, exercise in enumerate(course.exercises)}
    ordered = sorted(results, key=lambda r: order.get(r.exercise, len(order)))
    return [Part(course.exercise(r.exercise), r, sections(r)) for r in ordered]


def notebook_report(notebook: Path, result: Result, section: Section | None) -> str:
    """The report of one notebook checked."""
    heading = f"Your report on {notebook.name}"
    title = f"{heading}: {load_course().exercise(result.exercise).title}"
    return learner_report(title, heading, parts_of([result], lambda _: section))


def graded_with_section(
    notebook: Path, exercise_id: str, *settings: object, here: bool = False
) -> tuple[Result, Section | None]:
    """A notebook graded (grading.grade_notebook's arguments after the notebook and its
    exercise), and the report section its grading drew, if it drew one."""
    with tempfile.TemporaryDirectory(prefix="keras-course-report-") as tmp:
        drawn = Path(tmp) / "section.json"
        result = grade_notebook(notebook, exercise_id, *settings, here=here, section=drawn)
        return result, read_section(drawn)


def checked_with_report(target: Path, notebook: Path, exercise_id: str, *settings: object) -> Result:
    """Check a notebook here and write its report to target; CourseError when it cannot be
    written."""
    result, section = graded_with_section(notebook, exercise_id, *settings, here=True)
    write_page(target, notebook_report(notebook, result, section))
    return result


def read_section(path: Path) -> Section | None:
    """The section a grading drew, if it drew one."""
    try:
        return Section.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_html_dir(folder: Path, results: list[Result], results_dir: Path, names: dict[str, str]) -> Path:
    """A batch's reports in folder, with the sections kept in results_dir; the dashboard's path."""

    def sections(result: Result) -> Section | None:
        return kept_section(results_dir, result.learner, result.exercise)

    return write_batch_reports(folder, results, sections, names)


def write_batch_reports(
    folder: Path, results: list[Result], sections: Callable[[Result], Section | None], names: dict[str, str]
) -> Path:
    """Each learner's report and the dashboard, in folder, each written as it is drawn (their
    figures add up); the dashboard's path. CourseError, in one line, when one cannot be written."""
    course = load_course()
    by_learner: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        by_learner[result.learner].append(result)
    for learner, mine in by_learner.items():
        heading = f"{course.title}: the report of {names.get(learner, learner)}"
        html = learner_report(heading, heading, parts_of(mine, sections))
        write_page(folder / report_file_name(learner), html)
    write_page(folder / DASHBOARD, dashboard_html(results, course, names))
    return folder / DASHBOARD


def write_page(path: Path, html: str) -> None:
    try:
        write_atomic(path, html)
    except OSError as exc:
        raise CourseError(f"cannot write the HTML report {path} ({exc.strerror or exc})") from None
