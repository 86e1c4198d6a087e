"""Who handed in each folder of Gradescope's "Export Submissions" download.

Unzipped, the export is a folder (`assignment_<id>_export/`) that holds one folder per
submission, `submission_<id>/`, with the files handed in, and `submission_metadata.yml`, which
maps each submission folder to its submitters (more than one for a group submission). Gradescope
does not document this file; its shape here is the one public tools read (otter-grader's
GradescopeParser, among others): Ruby symbols as keys, and for each submission its submitters
(`:name`, `:sid`, `:email`), its time, its score and its results (tests/test_layouts.py has one):

    submission_123456789:
      :submitters:
      - :name: Ann Lee
        :sid: '4711'
      :created_at: 2026-04-26 17:34:00.861687000 Z

A submitter's learner id is their SID (the student id of Gradescope's roster), else their email,
else the folder's name.
"""

from __future__ import annotations

from pathlib import Path

from keras_course.course.errors import CourseError
from keras_course.run.real_files import opened_real

METADATA = "submission_metadata.yml"
MAX_METADATA_BYTES = 64 * 1024 * 1024  # a class's metadata with every result in it, and room


def is_export(folder: Path) -> bool:
    """Whether folder is an unzipped Gradescope export: it holds the metadata file."""
    return (folder / METADATA).is_file()


def submitters(export: Path) -> dict[str, list[tuple[str, str]]]:
    """Each submission folder's submitters, as (learner id, name); CourseError, naming the
    metadata file, when it is not Gradescope's metadata."""
    path = export / METADATA
    raw = read_metadata(path)
    if not isinstance(raw, dict):
        raise CourseError(f"{path}: not Gradescope's submission metadata (no submission folders in it)")
    found = {}
    for folder, submission in raw.items():
        people = submission.get(":submitters") if isinstance(submission, dict) else None
        if not isinstance(people, list):
            raise CourseError(f"{path}: {folder} has no list of :submitters")
        found[str(folder)] = [who(person, str(folder)) for person in people] or [(str(folder), str(folder))]
    return found


def read_metadata(path: Path) -> object:
    """The metadata file's YAML, read as a real file (real_files.py) of a bounded size."""
    import yaml  # lazy: only a Gradescope export needs it

    try:
        with opened_real(path) as handle:
            text = handle.read(MAX_METADATA_BYTES + 1)
    except OSError as exc:
        raise CourseError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(text) > MAX_METADATA_BYTES:
        raise CourseError(f"{path}: more than {MAX_METADATA_BYTES >> 20} MB")
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CourseError(f"{path}: not valid YAML ({first})") from None


def who(person: object, folder: str) -> tuple[str, str]:
    """A submitter's learner id (SID, else email, else the folder) and name."""
    fields = person if isinstance(person, dict) else {}
    sid, email = (str(fields.get(key) or "").strip() for key in (":sid", ":email"))
    learner = sid or email or folder
    return learner, str(fields.get(":name") or "").strip() or learner
