"""The gradebook in the import format of a learning management system (`grade --lms`).

One column per assignment of course.toml's [assignments], in course order: the sum of the
scores of the assignment's exercises that the learner handed in (an exercise not handed in adds
nothing); the cell is empty when the learner handed in none of them, which both systems import
as "no grade". Assignments that nobody in the batch handed in are left out, so that importing a
batch does not touch the other assignments' grades. An assignment with a notebook the grader
failed on (Result.grader_error) is empty too: it has no grade until that notebook is graded.
"""

from __future__ import annotations

from keras_course.course.config import Course
from keras_course.course.roster import Learner
from keras_course.report.results import Result, csv_text

LMS = ("canvas", "moodle")


def assignment_scores(results: list[Result], course: Course) -> dict[str, dict[str, float | None]]:
    """learner -> assignment -> the sum of the scores handed in, or None for none handed in (or
    one the grader failed on); only the assignments that someone handed in."""
    scores: dict[str, dict[str, float | None]] = {}
    failed = {(r.learner, course.assignment_of(r.exercise)) for r in results if r.grader_error}
    for r in results:
        row = scores.setdefault(r.learner, {})
        if r.submitted:
            assignment = course.assignment_of(r.exercise)
            row[assignment] = (row.get(assignment) or 0.0) + r.score
    handed_in = [a for a in course.assignments if any(a in row for row in scores.values())]
    return {
        learner: {a: None if (learner, a) in failed else row.get(a) for a in handed_in}
        for learner, row in scores.items()
    }


def cell(score: float | None) -> str:
    return "" if score is None else f"{score:g}"


def to_canvas(results: list[Result], course: Course, learners: dict[str, Learner]) -> str:
    """Canvas's gradebook import (Grades > Import), as instructure/canvas-lms lib/
    gradebook_importer.rb reads it: the columns Student, ID, SIS User ID, SIS Login ID and
    Section, then one per assignment, titled with its name (a title Canvas does not know makes a
    new assignment); a second row "Points Possible" with each assignment's maximum. Canvas finds
    a learner by ID (its user id, which the Canvas download's file names carry), then by SIS User
    ID or SIS Login ID, then by name; the ID cell is left empty where the id is no Canvas id."""
    scores = assignment_scores(results, course)
    assignments = list(next(iter(scores.values()), {}))
    maximum = {a: sum(e.max_score for e in course.assignment_exercises(a)) for a in assignments}
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *assignments]]
    rows.append(["Points Possible", "", "", "", "", *(cell(maximum[a]) for a in assignments)])
    for learner_id, row in sorted(scores.items()):
        who = learners.get(learner_id) or Learner(learner_id, learner_id)
        canvas_id = who.id if who.id.isdigit() else ""
        rows.append(
            [who.name, canvas_id, who.sis_id, who.login_id, who.section, *(cell(row[a]) for a in assignments)]
        )
    return csv_text(rows)


def to_moodle(results: list[Result], course: Course, learners: dict[str, Learner]) -> tuple[str, list[str]]:
    """Moodle's grade import (Grades > Import > CSV file), as moodle/moodle grade/import/csv/
    classes/load_data.php reads it: a column to find each learner by (here "Email address", to
    map to the user field "Email address"), then one column per grade item, here one per
    assignment (map each to its grade item, or to "new grade item"). Moodle has no maximum row:
    a row whose learner it cannot find stops the whole import. So learners without an email
    address are left out; their ids are returned with the text."""
    scores = assignment_scores(results, course)
    assignments = list(next(iter(scores.values()), {}))
    rows = [["Full name", "Email address", *assignments]]
    left_out = []
    for learner_id, row in sorted(scores.items()):
        who = learners.get(learner_id) or Learner(learner_id, learner_id)
        if not who.email:
            left_out.append(learner_id)
            continue
        rows.append([who.name, who.email, *(cell(row[a]) for a in assignments)])
    return csv_text(rows), left_out
