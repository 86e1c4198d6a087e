"""The class list: who the learners are, by the id their submissions carry (`--roster FILE`).

A roster is a CSV file with a header row. Two columns are needed:

- `id`: the learner's id as the submissions carry it: Canvas's user id, Moodle's participant
  id, or the name of the learner's folder;
- `name`: the learner's name, for the gradebooks.

Optional columns: `email` (Moodle's grade import finds learners by it), `sis_id` (Canvas's
"SIS User ID"), `login_id` (Canvas's "SIS Login ID") and `section`. Column names are read
without regard to case, and the exports of the LMSs are read as they are: Canvas's gradebook
export (Student, ID, SIS User ID, SIS Login ID, Section) and Moodle's grading worksheet
(Identifier, which holds "Participant <id>", Full name, Email address).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from keras_course.course.errors import CourseError

# Each field of a Learner and the column names it is read from (lower case).
COLUMNS = {
    "id": ("id", "identifier"),
    "name": ("name", "full name", "student"),
    "email": ("email", "email address"),
    "sis_id": ("sis_id", "sis user id"),
    "login_id": ("login_id", "sis login id"),
    "section": ("section",),
}
PARTICIPANT = re.compile(r"\D+\s(\d+)")  # Moodle's worksheet: "Participant 12345" (in any language)


@dataclass(frozen=True)
class Learner:
    id: str
    name: str
    email: str = ""
    sis_id: str = ""
    login_id: str = ""
    section: str = ""


def read_roster(path: Path) -> dict[str, Learner]:
    """The learners of a roster file by id, or CourseError naming the file and what is wrong."""
    if not path.is_file():
        raise CourseError(
            f"{path}: no such file" if not path.exists() else f"{path}: is a folder, not a roster"
        )
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CourseError(f"{path}: not a CSV file ({exc})") from None
    if not rows:
        raise CourseError(f"{path}: is empty, not a roster")
    header = [cell.strip().lower() for cell in rows[0]]
    where = {}
    for field_name, names in COLUMNS.items():
        index = next((header.index(n) for n in names if n in header), None)
        if index is not None:
            where[field_name] = index
    if "id" not in where or "name" not in where:
        raise CourseError(f"{path}: a roster needs the columns id and name (it has: {', '.join(rows[0])})")
    learners: dict[str, Learner] = {}
    for number, row in enumerate(rows[1:], start=2):
        values = {f: row[i].strip() if i < len(row) else "" for f, i in where.items()}
        if not values["id"] or values["name"].startswith("Points Possible"):  # Canvas's second row
            continue
        participant = PARTICIPANT.fullmatch(values["id"])
        values["id"] = participant[1] if participant else values["id"]
        if values["id"] in learners:
            raise CourseError(f"{path}: line {number}: the id {values['id']} is there twice")
        learners[values["id"]] = Learner(**values)
    return learners
