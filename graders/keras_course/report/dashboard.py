"""The class dashboard, `index.html` beside the learners' reports (`grade --html-dir`).

What an instructor re-teaches from: each exercise's score distribution; the checks failed most
often, grouped by the value the check measured on each learner's work (CheckResult.measured:
"layer 2: 32 units (14 learners), 16 units (3)"), or by the feedback where a check measured
nothing; how many learners handed nothing in, and how many notebooks could not be graded (the
learner's error, or the grader's); and a table of learners that sorts on click, each linked to
their report. Its only script sorts that table; the page's Content-Security-Policy allows that
script alone (by its hash) and forbids every request.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from keras_course.course.config import Course
from keras_course.report.results import Result

TOP_VALUES = 5  # the values shown for a failed check; the others are counted together


@dataclass(frozen=True)
class FailedCheck:
    """A check that learners failed: how many, and the values measured, most frequent first."""

    exercise: str
    check: str
    learners: int
    values: tuple[tuple[str, int], ...]
    by_feedback: bool  # no learner's check measured a value: grouped by feedback instead


@dataclass(frozen=True)
class ExerciseCounts:
    """One exercise across the class."""

    exercise: str
    title: str
    max_score: float
    scores: tuple[float, ...]  # of the notebooks graded (a learner's error scores too)
    not_submitted: int
    learner_errors: int
    grader_errors: int

    def distribution(self) -> list[tuple[int, int]]:
        """How many learners scored each whole number of points, 0 to the maximum."""
        counts = Counter(min(int(score), int(self.max_score)) for score in self.scores)
        return [(points, counts.get(points, 0)) for points in range(int(self.max_score) + 1)]

    @property
    def full_marks(self) -> int:
        return sum(score == self.max_score for score in self.scores)

    @property
    def mean(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None


def graded(result: Result) -> bool:
    """A result whose checks say what the learner's work did: handed in, and run to its end."""
    return result.submitted and not result.error


def failed_checks(results: list[Result], course: Course) -> list[FailedCheck]:
    """Every check that some learner failed, most failed first, with its values grouped."""
    learners: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    measured_any: set[tuple[str, str]] = set()
    for result in filter(graded, results):
        for check in result.checks:
            if check.passed or check.pending:
                continue
            key = (result.exercise, check.name)
            learners[key][check.measured or check.feedback].add(result.learner)
            measured_any |= {key} if check.measured else set()
    order = {ex: i for i, ex in enumerate(course.exercises)}
    found = [failed_check(key, values, key not in measured_any) for key, values in learners.items()]
    return sorted(found, key=lambda f: (-f.learners, order.get(f.exercise, 99), f.check))


def failed_check(key: tuple[str, str], values: dict[str, set[str]], by_feedback: bool) -> FailedCheck:
    everyone = set().union(*values.values())
    counted = sorted(((value, len(who)) for value, who in values.items()), key=lambda v: (-v[1], v[0]))
    return FailedCheck(key[0], key[1], len(everyone), tuple(counted), by_feedback)


def exercise_counts(results: list[Result], course: Course) -> list[ExerciseCounts]:
    """Each exercise's scores and counts, in the course's order."""
    counts = []
    for exercise in course.exercises.values():
        mine = [r for r in results if r.exercise == exercise.id]
        handed_in = [r for r in mine if r.submitted]
        counts.append(
            ExerciseCounts(
                exercise=exercise.id,
                title=exercise.title,
                max_score=exercise.max_score,
                scores=tuple(r.score for r in handed_in if not r.grader_error),
                not_submitted=len(mine) - len(handed_in),
                learner_errors=sum(bool(r.error) and not r.grader_error for r in handed_in),
                grader_errors=sum(r.grader_error for r in handed_in),
            )
        )
    return counts


def report_file_name(learner: str) -> str:
    """A learner's report's file name: their id in plain letters, digits and dashes (a name with
    spaces, accents or other scripts is safe in a link and on any file system), and a digest of
    the whole id, so that two ids never share a file."""
    plain = unicodedata.normalize("NFKD", learner).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-")[:40] or "learner"
    return f"{slug}-{hashlib.sha256(learner.encode('utf-8')).hexdigest()[:10]}.html"


def sort_script() -> str:
    """The dashboard's one script: it sorts the learners' table on a click of its headers."""
    return resources.files("keras_course.report").joinpath("templates/sort_table.js").read_text("utf-8")


def dashboard_policy(script: str) -> str:
    """The dashboard's Content-Security-Policy: its own style, images from data: URIs, and only
    the script of this hash; no request of any kind."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{digest}'"


@dataclass(frozen=True)
class LearnerRow:
    """A learner's row of the table: their id, name, report file, and per exercise the cell's
    text and the number it sorts by; then the total's."""

    learner: str
    name: str
    href: str
    cells: tuple[tuple[str, float], ...]
    total: tuple[str, float]


MARKS = {"not_submitted": ("–", -1.0), "grader_error": ("!", -2.0)}  # cell text, sorted below 0


def cell(result: Result | None) -> tuple[str, float]:
    """A score's cell: the score (with * where the notebook did not run to its end), – where
    not submitted, ! where the grader failed."""
    if result is None or not result.submitted:
        return MARKS["not_submitted"]
    if result.grader_error:
        return MARKS["grader_error"]
    return (f"{result.score:g}*" if result.error else f"{result.score:g}", result.score)


def learner_rows(results: list[Result], course: Course, names: dict[str, str]) -> list[LearnerRow]:
    """A row per learner, by name (as the table's first column is sorted to begin with)."""
    by_learner: dict[str, dict[str, Result]] = defaultdict(dict)
    for result in results:
        by_learner[result.learner][result.exercise] = result
    rows = []
    for learner, mine in sorted(
        by_learner.items(), key=lambda item: (names.get(item[0], item[0]).casefold(), item[0])
    ):
        cells = tuple(cell(mine.get(exercise)) for exercise in course.exercises)
        name = names.get(learner, learner)
        rows.append(LearnerRow(learner, name, report_file_name(learner), cells, total(mine.values())))
    return rows


def total(mine: Iterable[Result]) -> tuple[str, float]:
    """A learner's total cell: of what they handed in; ! while the grader failed on any of it."""
    handed_in = [r for r in mine if r.submitted]
    if any(r.grader_error for r in handed_in):
        return MARKS["grader_error"]
    points = sum(r.score for r in handed_in)
    return (f"{points:g}", points) if handed_in else MARKS["not_submitted"]


def dashboard_html(results: list[Result], course: Course, names: dict[str, str]) -> str:
    """The dashboard's HTML, linking each learner's report by report_file_name."""
    from keras_course.report.html_report import environment  # the report's templates and style

    script = sort_script()
    return (
        environment()
        .get_template("dashboard.html.j2")
        .render(
            title=f"Class dashboard: {course.title}",
            course=course,
            counts=exercise_counts(results, course),
            failed=failed_checks(results, course),
            rows=learner_rows(results, course, names),
            learners=len({r.learner for r in results}),
            script=script,
            policy=dashboard_policy(script),
        )
    )
