"""Where the course's files live: in the repository, or in the installed learner package.

The repository is the instructor's copy: an editable install (or PYTHONPATH=graders) finds
everything relative to its root: course.toml, graders/, datasets/ (with datasets/heldout/),
exercises/, solutions/ and tests/.

The learner package (the wheel `make dist` builds) carries the learner's part of the same files
as package data under keras_course/material/: course.toml, graders/, the learner's data files in
datasets/ and the exercise stubs in exercises/, copied from the repository by the wheel build
(pyproject.toml [tool.setuptools.package-data] lists them). It has no solutions/, no held-out
data and no tests/: what needs them says so in one line (instructor_only).

A Dask worker grades with the data files its client sent (grade/dask_worker.py): DATASETS_ENV
names that folder, laid out as datasets/ (with heldout/).
"""

from __future__ import annotations

import os
from pathlib import Path

from keras_course.course.errors import CourseError

PACKAGE = Path(__file__).resolve().parents[1]  # keras_course/
PACKAGED = PACKAGE / "material"  # the package data of an installed wheel
INSTALLED = PACKAGED.is_dir()  # the learner package, not the repository
ROOT = PACKAGED if INSTALLED else PACKAGE.parents[1]
COURSE_TOML = ROOT / "course.toml"
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
GRADERS = ROOT / "graders"
DATASETS_ENV = "KERAS_COURSE_DATASETS"
DATASETS = Path(os.environ.get(DATASETS_ENV) or ROOT / "datasets")
HELDOUT = DATASETS / "heldout"
SAMPLES = ROOT / "samples"
# downloads (the banknotes): the repository's .cache/, or the user's cache folder
USER_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "keras-course"
CACHE = USER_CACHE if INSTALLED else ROOT / ".cache"


def grader_file(exercise_id: str) -> Path:
    """The pytest module that grades one exercise."""
    return GRADERS / f"test_{exercise_id}.py"


def instructor_only(path: Path, what: str) -> Path:
    """path, or CourseError when it is not here: the learner package has no solutions/,
    held-out data or tests/."""

    if not path.exists():
        raise CourseError(f"{what} needs the instructor's copy of the course (the repository): no {path}")
    return path
