"""Each graded result on disk as soon as it is done, so that an interrupted batch can resume.

`<results dir>/<learner>/<exercise>.json` (by default `DIR/.keras-course-results/`, which the
batch skips as it skips every dot-folder) holds the result with what it was graded from: the
notebook's sha256 and the settings that decide a verdict (seed, limits, the exercise's settings
in course.toml, and the digest of the graders' code, grader_code.py). With `--resume` a stored
result is kept only when all of these are the same today; a changed notebook, changed settings
or changed graders are graded again, and so is a result the grader failed on
(Result.grader_error). A kept result's score is that of its checks, at today's points: a stored
score edited by hand does not count. Files are written atomically.

With `--html-dir`, each result's report section (report/section.py: the model table and the
figures, drawn where the export was) is kept beside it, `<exercise>.section.json`, stamped with
the sha256 of the notebook it was drawn from: a section is used with the stored result of that
same notebook only, and `--resume --html-dir` grades again a result kept without one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from keras_course.course.config import Course, Exercise
from keras_course.course.errors import CourseError
from keras_course.grade.grader_code import code_digest
from keras_course.grade.settings import DEFAULTS, Settings
from keras_course.report.notices import warn
from keras_course.report.results import Result, write_atomic
from keras_course.report.section import Section
from keras_course.run.real_files import opened_real
from keras_course.run.sandbox import LEVELS

RESULTS_DIR = ".keras-course-results"
SECTION_SUFFIX = ".section.json"


def sha256_of(path: Path) -> str:
    """The notebook's sha256, read as a real file (real_files.py); "" when it cannot be read so
    (a link, gone, ...): grading it then says why, and its result is never kept by --resume."""
    digest = hashlib.sha256()
    try:
        with opened_real(path) as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except (CourseError, OSError):
        return ""
    return digest.hexdigest()


def result_path(folder: Path, learner: str, exercise_id: str) -> Path:
    return folder / learner / f"{exercise_id}.json"


def section_path(folder: Path, learner: str, exercise_id: str) -> Path:
    """Where a result's report section is kept, beside the result in the results folder."""
    return folder / learner / f"{exercise_id}{SECTION_SUFFIX}"


def kept_section(folder: Path, learner: str, exercise_id: str) -> Section | None:
    """The report section kept beside a stored result in folder, if it was drawn from the
    notebook that result was graded from."""
    try:
        stored = json.loads(result_path(folder, learner, exercise_id).read_text(encoding="utf-8"))
        section = Section.from_json(section_path(folder, learner, exercise_id).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    same = section.notebook_sha256 == stored.get("notebook_sha256") != ""
    return section if same else None


def rescored(result: Result, exercise: Exercise) -> Result | None:
    """The result with each check's points, and the score, made again from the checks it passed
    and today's points; None where its checks are not the exercise's."""
    if [check.name for check in result.checks] != list(exercise.checks):
        return None
    for check in result.checks:
        check.max_points = exercise.checks[check.name]
        check.points = check.max_points if check.passed is True and not check.pending else 0.0
    result.score, result.max_score = float(sum(c.points for c in result.checks)), exercise.max_score
    return result


class ResultStore:
    """The stored results of one batch folder."""

    def __init__(
        self,
        folder: Path,
        course: Course,
        settings: Settings = DEFAULTS,
        isolation: str = "none",
    ) -> None:
        self.folder = folder
        self.course = course
        self.isolation = isolation  # a result graded under weaker isolation is graded again
        self.limits = {
            **settings.limits(course),
            "output_mb": course.output_mb,
            "checks_mb": course.checks_mb,  # a check past it fails: it decides a verdict too
            "forward_pass_mb": course.forward_pass_mb,
        }

    def path(self, learner: str, exercise_id: str) -> Path:
        return result_path(self.folder, learner, exercise_id)

    def section_path(self, learner: str, exercise_id: str) -> Path:
        return section_path(self.folder, learner, exercise_id)

    def section(self, learner: str, exercise_id: str) -> Section | None:
        return kept_section(self.folder, learner, exercise_id)

    def keep_section(self, learner: str, exercise_id: str, text: str) -> None:
        """Keep a section drawn elsewhere (a Dask worker's); one that cannot be is a warning."""
        try:
            write_atomic(self.section_path(learner, exercise_id), text)
        except OSError as exc:
            warn(f"{self.section_path(learner, exercise_id)}: not stored ({exc.strerror or exc})")

    def settings(self, exercise_id: str) -> dict:
        """What, besides the notebook, decides the verdict: compared as JSON."""
        exercise = asdict(self.course.exercise(exercise_id))
        raw = {**self.limits, "exercise": exercise, "graders": code_digest(exercise_id)}
        return json.loads(json.dumps(raw, sort_keys=True))

    def load(self, learner: str, exercise_id: str, notebook: Path, section: bool = False) -> Result | None:
        """The stored result, if it was graded from this very notebook with today's settings and
        graders, and the grader did not fail on it (with section: and its report section is
        kept); scored from its checks."""
        try:
            stored = json.loads(self.path(learner, exercise_id).read_text(encoding="utf-8"))
            result = Result.from_dict(stored["result"])
            same = (
                stored["notebook_sha256"] == sha256_of(notebook) != ""
                and stored["settings"] == self.settings(exercise_id)
                and (result.learner, result.exercise) == (learner, exercise_id)
                and LEVELS.get(result.isolation, -1) >= LEVELS[self.isolation]
                and not result.grader_error
                and (not section or self.section(learner, exercise_id) is not None)
            )
            return rescored(result, self.course.exercise(exercise_id)) if same else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, result: Result, notebook_sha256: str) -> None:
        record = {
            "notebook_sha256": notebook_sha256,
            "settings": self.settings(result.exercise),
            "result": asdict(result),
        }
        text = json.dumps(record, indent=2, ensure_ascii=False, sort_keys=True)
        write_atomic(self.path(result.learner, result.exercise), text + "\n")

    def keep(self, result: Result, notebook_sha256: str) -> Result:
        """save(), where a result that cannot be stored is a warning, not the batch's end: it is
        reported all the same, and graded again by --resume."""
        try:
            self.save(result, notebook_sha256)
        except OSError as exc:
            warn(f"{self.path(result.learner, result.exercise)}: not stored ({exc.strerror or exc})")
        return result
