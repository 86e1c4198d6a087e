"""Find the notebooks to grade in a folder of submissions, as people and learning management
systems deliver them, and whose each one is.

One folder may mix these layouts:

- one folder per learner, the notebooks anywhere below it (nbgrader's
  `submitted/<learner>/<assignment>/`); the folder's name is the learner's id;
- Canvas's "Download Submissions": every file at the top, named
  `<name>_[LATE_]<user id>_<attachment id>_<file name>`; the id is Canvas's user id;
- GitHub Classroom's repositories as `gh classroom clone student-repos` clones them:
  `<assignment slug>-submissions/<assignment slug>-<login>/`; the id is the learner's GitHub
  login (a group assignment's: the team's name);
- Moodle's "Download all submissions": a folder per learner,
  `<Full Name>_<participant id>_assignsubmission_file_/`, or, with "download submissions in
  folders" off, files named `<Full Name>_<participant id>_assignsubmission_file_<file name>`
  at the top; the id is Moodle's participant id;
- Gradescope's "Export Submissions", unzipped (the folder given, or a folder in it): a folder per
  submission, `submission_<id>/`, whose submitters `submission_metadata.yml` names; the id is
  the submitter's SID (gradescope_export.py), and each member of a group gets the group's notebooks.

A Gradescope submission alone (the autograder's /autograder/submission) is one learner's folder:
find_in_one_folder.

A notebook's exercise comes from its metadata (`metadata.keras_course.exercise`, which the
stubs carry), so that a renamed copy is graded; its file name, normalised, is the fallback.
Only regular files with one name are graded: a link (to a file or a folder, which could be the
course's solution or another learner's notebook), a named pipe, a device, a socket or a hard
link is not (run/real_files.py). Every file that is not graded is reported with the reason,
except the files that are expected beside the notebooks (hidden files, nbgrader's
timestamp.txt, the course's data files), which are only counted.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from keras_course.course.config import Course
from keras_course.course.errors import CourseError
from keras_course.grade import gradescope_export
from keras_course.run.notebook_file import notebook_bytes
from keras_course.run.real_files import not_real

# Canvas: instructure/canvas-lms, lib/content_zipper.rb (get_filename, add_upload_submission,
# sanitize_user_name): "<sortable name, lower case, word characters only>[_LATE]_<user id>_
# <attachment id>_<display name>"; with anonymous grading the name is left out and the id is
# "anon_<anonymous id>". A resubmitted file's display name may end in "-1" (see NAME_CHANGES).
CANVAS_ANONYMOUS = re.compile(r"(?:LATE_)?(?P<id>anon_[A-Za-z0-9]+)_\d+_(?P<file>.+)")
CANVAS = re.compile(r"(?P<name>\w+?)_(?:LATE_)?(?P<id>\d+)_\d+_(?P<file>.+)")
# Moodle: moodle/moodle, mod/assign/locallib.php (download_submissions): the prefix is
# clean_filename(<full name, "_" made " "> . "_" . <participant id>), then "_assignsubmission_
# <plugin>_", then "/<file>" (in folders, the default since Moodle 3.1) or "<file>" (flat).
MOODLE_FOLDER = re.compile(r"(?P<name>[^_]*)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_")
MOODLE_FILE = re.compile(r"(?P<name>[^_]*)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.+)")

# What copying a notebook does to its name, undone from the end of the name in turn:
# Jupyter's "darts-Copy1", a browser's or the OS's "darts (1)" and "darts copy", Canvas's
# "darts-1" for a resubmitted file; and Google Drive's "Copy of darts" at the start.
NAME_CHANGES = (re.compile(r"[-_ ]copy\s*\d*$"), re.compile(r"\s*\(\d+\)$"), re.compile(r"-\d+$"))
COPY_OF = re.compile(r"^copy of\s+")
# GitHub Classroom: github/gh-classroom, cmd/gh-classroom/clone/student-repos (clones each learner's
# repository, named "<assignment slug>-<login>" by Classroom, into "<assignment slug>-submissions/").
CLASSROOM_FOLDER = "-submissions"
EXPECTED = {"timestamp.txt"}  # nbgrader's, beside each submitted assignment
NOT_IN_A_FOLDER = (
    "not in a learner's folder, and not named as Canvas or Moodle name what they collect: "
    "put each learner's notebooks in a folder of their own"
)


@dataclass(frozen=True)
class Job:
    """One notebook to grade: whose, for which exercise."""

    learner: str
    exercise: str
    notebook: Path


@dataclass(frozen=True)
class Skipped:
    """A file that is not graded, and why."""

    path: Path
    reason: str


@dataclass
class Found:
    """What a folder of submissions holds."""

    folder: Path
    jobs: list[Job] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # learner id -> name in the file names
    skipped: list[Skipped] = field(default_factory=list)
    expected: int = 0  # files beside the notebooks that are not reported one by one


@dataclass(frozen=True)
class Candidate:
    learner: str
    exercise: str
    path: Path
    exact: bool  # named exactly <exercise>.ipynb (after the LMS's prefix)


def exercise_named(filename: str, known: Iterable[str]) -> str | None:
    """The exercise that a notebook's file name names, once the changes copying makes are
    undone (see NAME_CHANGES), case ignored, spaces and hyphens read as underscores."""
    stem = filename[: -len(".ipynb")] if filename.lower().endswith(".ipynb") else filename
    stem = COPY_OF.sub("", stem.strip().lower())
    changed = True
    while changed:
        changed = False
        for change in NAME_CHANGES:
            shorter = change.sub("", stem)
            changed = changed or shorter != stem
            stem = shorter
    stem = re.sub(r"[\s-]+", "_", stem.strip())
    return stem if stem in set(known) else None


def exercise_in_metadata(path: Path) -> str | None:
    """The exercise a notebook's metadata names, or None if it names none or the file is not
    readable JSON (grading it then says what is wrong with it)."""
    # lazy: the runner imports nbformat (0.7 s with the rest), which naming an exercise by its
    # file name (exercise_named) does not need

    try:
        raw = json.loads(notebook_bytes(path).decode("utf-8"))
    except (CourseError, OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    meta = raw.get("metadata") if isinstance(raw, dict) else None
    ours = meta.get("keras_course") if isinstance(meta, dict) else None
    exercise = ours.get("exercise") if isinstance(ours, dict) else None
    return exercise if isinstance(exercise, str) else None


def exercise_of_file(path: Path, course: Course, filename: str | None = None) -> str:
    """The exercise of a notebook: the one its metadata names, else the one its file name
    (filename, when an LMS prefixed the name) names; CourseError with the reason otherwise."""
    named = exercise_in_metadata(path)
    if named is not None:
        if named not in course.exercises:
            raise CourseError(f"its metadata names the exercise '{named}', which this course does not have")
        return named
    exercise = exercise_named(filename or path.name, course.exercises)
    if exercise is None:
        known = ", ".join(course.exercises)
        raise CourseError(
            f"not one of the exercises: its metadata names none, and its name none of theirs ({known})"
        )
    return exercise


def is_expected(path: Path, course: Course) -> bool:
    """A file that belongs beside the notebooks: hidden, nbgrader's, or a data file of the course."""
    data = {name for exercise in course.exercises.values() for name in exercise.data}
    return path.name.startswith(".") or path.name in EXPECTED or path.name in data


def files_below(folder: Path) -> Iterable[Path]:
    """Every file below folder, in a stable order, and every link to a folder there (not
    followed), leaving out hidden folders (checkpoints, stored results) and macOS's __MACOSX."""
    for root, dirs, files in os.walk(folder):  # os.walk follows no link below folder
        links = [d for d in dirs if os.path.islink(os.path.join(root, d))]
        dirs[:] = sorted(d for d in dirs if d not in links and not left_out(d))
        for name in sorted(files + links):
            yield Path(root) / name


def left_out(name: str) -> bool:
    """A folder that is not looked into: hidden, or macOS's __MACOSX."""
    return name.startswith(".") or name == "__MACOSX"


class Sorting:
    """Each file under a submissions folder, sorted as find_submissions sorts them: a notebook
    to grade (a Candidate), a file expected beside the notebooks, or a file skipped and why."""

    def __init__(self, folder: Path, course: Course) -> None:
        self.found = Found(folder)
        self.course = course
        self.candidates: list[Candidate] = []

    def skip(self, path: Path, reason: str) -> None:
        self.found.skipped.append(Skipped(path, reason))

    def entry(self, entry: Path) -> None:
        """An entry at the top: a learner's folder, Gradescope's export, or a file an LMS named."""
        if os.path.isdir(entry) and not entry.is_symlink() and gradescope_export.is_export(entry):
            self.export(entry)
        elif os.path.isdir(entry):  # a link to a folder too: it is the learner's, and skipped
            learner, name = self.learner_of_folder(entry.name)
            self.take_below(entry, learner, name)
        else:
            self.file_entry(entry)

    def file_entry(self, entry: Path) -> None:
        """A file at the top: named by an LMS, or stray."""
        lms = CANVAS_ANONYMOUS.fullmatch(entry.name) or CANVAS.fullmatch(entry.name)
        lms = MOODLE_FILE.fullmatch(entry.name) or lms
        if lms is not None:
            self.take(entry, lms["id"], lms.groupdict().get("name") or lms["id"], lms["file"])
        else:
            self.stray(entry)

    def learner_of_folder(self, folder: str) -> tuple[str, str]:
        """The id and name of a learner's folder: Moodle's participant, GitHub Classroom's login
        (a repository in the folder that gh's clone makes), else the folder's own name."""
        moodle = MOODLE_FOLDER.fullmatch(folder)
        if moodle:
            return moodle["id"], moodle["name"]
        slug = self.found.folder.name.removesuffix(CLASSROOM_FOLDER)
        if slug != self.found.folder.name and folder.startswith(f"{slug}-") and len(folder) > len(slug) + 1:
            return folder[len(slug) + 1 :], folder[len(slug) + 1 :]
        return folder, folder

    def take_below(self, folder: Path, learner: str, name: str) -> None:
        """The files below a learner's folder (a link to a folder is skipped, not followed)."""
        self.found.names.setdefault(learner, name)
        for path in [folder] if folder.is_symlink() else files_below(folder):
            self.take(path, learner, name)

    def export(self, folder: Path) -> None:
        """Gradescope's "Export Submissions": each submission folder its metadata names is its
        submitters'; any other entry is read as at the top."""
        people = gradescope_export.submitters(folder)
        self.found.expected += 1  # the metadata file
        for entry in sorted(folder.iterdir()):
            if left_out(entry.name) or entry.name == gradescope_export.METADATA:
                continue
            if entry.name in people and entry.is_dir() and not entry.is_symlink():
                self.submission(entry, people[entry.name])
            else:
                self.entry(entry)

    def submission(self, folder: Path, people: list[tuple[str, str]]) -> None:
        """One Gradescope submission: its notebooks are each of its submitters' (a group's)."""
        (first, first_name), *others = people
        before = len(self.candidates)
        self.take_below(folder, first, first_name)
        theirs = self.candidates[before:]
        for learner, name in others:
            self.found.names.setdefault(learner, name)
            self.candidates += [replace(c, learner=learner) for c in theirs]

    def stray(self, entry: Path) -> None:
        """A file at the top that no LMS named: expected, or not in a learner's folder."""
        why = not_real(entry)
        if why is None and is_expected(entry, self.course):
            self.found.expected += 1
        else:
            self.skip(entry, why or NOT_IN_A_FOLDER)

    def take(self, path: Path, learner: str, name: str, filename: str | None = None) -> None:
        """A file of a learner (filename: its name without an LMS's prefix)."""
        self.found.names.setdefault(learner, name)
        why = None if path.name.startswith(".") else not_real(path)  # hidden: counted, never read
        if why is not None:
            self.skip(path, why)
        elif is_expected(path, self.course):
            self.found.expected += 1
        elif not path.name.lower().endswith(".ipynb"):
            self.skip(path, "not a notebook (.ipynb)")
        else:
            self.candidate(path, learner, filename)

    def candidate(self, path: Path, learner: str, filename: str | None) -> None:
        try:
            exercise = exercise_of_file(path, self.course, filename)
        except CourseError as exc:
            self.skip(path, str(exc))
            return
        exact = (filename or path.name) == f"{exercise}.ipynb"
        self.candidates.append(Candidate(learner, exercise, path, exact))


def find_submissions(folder: Path, course: Course) -> Found:
    """The notebooks under folder, each with its learner and exercise, and every other file.
    Only regular files with one name are graded (run/real_files.py): a link, a named pipe, a
    device, a socket or a hard link is skipped with the reason."""
    folder = Path(folder)
    if not folder.exists():
        raise CourseError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise CourseError(f"{folder}: not a folder of learners' submissions")
    sorting = Sorting(folder.resolve(), course)
    if gradescope_export.is_export(sorting.found.folder):
        sorting.export(sorting.found.folder)
    else:
        for entry in sorted(sorting.found.folder.iterdir()):
            if not left_out(entry.name):
                sorting.entry(entry)
    sorting.found.jobs = pick_one_each(sorting.candidates, sorting.found.skipped)
    return sorting.found


def find_in_one_folder(folder: Path, course: Course, learner: str = "") -> Found:
    """The notebooks anywhere below one learner's folder (a Gradescope submission), each with its
    exercise, and every other file; a folder that is not there holds nothing."""
    sorting = Sorting(Path(folder).resolve(), course)
    sorting.take_below(sorting.found.folder, learner, learner)
    sorting.found.jobs = pick_one_each(sorting.candidates, sorting.found.skipped)
    return sorting.found


def pick_one_each(candidates: list[Candidate], skipped: list[Skipped]) -> list[Job]:
    """One notebook per learner and exercise: the one named exactly as the exercise, else the
    most recently changed one; the others are skipped, naming the one graded."""
    chosen: dict[tuple[str, str], Candidate] = {}
    for c in sorted(candidates, key=lambda c: (not c.exact, -c.path.stat().st_mtime_ns, str(c.path))):
        key = (c.learner, c.exercise)
        if key in chosen:
            graded = chosen[key].path
            reason = f"another notebook of learner {c.learner} for {c.exercise} is graded: {graded}"
            skipped.append(Skipped(c.path, reason))
        else:
            chosen[key] = c
    return sorted((Job(c.learner, c.exercise, c.path) for c in chosen.values()), key=job_order)


def job_order(job: Job) -> tuple[str, str]:
    return (job.learner, job.exercise)
