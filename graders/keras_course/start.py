"""`keras-course start DIR`: a learner's own copy of the exercises, written into DIR.

Each exercise's notebook (the stub from exercises/, in the learner package its package data)
and the data files the notebooks read. A notebook that is already there is someone's work: it
is not overwritten unless `force` is set. The data files are written first, so that a failed
download (the banknotes) leaves no notebook behind and the same command can run again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from keras_course.course import data
from keras_course.course.config import load_course
from keras_course.course.errors import CourseError
from keras_course.course.paths import EXERCISES


def start(folder: Path, force: bool = False) -> list[Path]:
    """Write the exercise notebooks and their data files into folder; return the files."""
    course = load_course()
    if folder.exists() and not folder.is_dir():
        raise CourseError(f"{folder}: is a file, not a folder to write the exercises into")
    notebooks = [folder / f"{exercise_id}.ipynb" for exercise_id in course.exercises]
    there = [path for path in notebooks if path.exists()]
    if there and not force:
        others = f" and {len(there) - 1} more" if len(there) > 1 else ""
        raise CourseError(
            f"{there[0]}{others}: already there; pass --force to overwrite them with new copies"
        )
    folder.mkdir(parents=True, exist_ok=True)
    names = sorted({name for exercise in course.exercises.values() for name in exercise.data})
    written = [data.write_learner_file(name, folder) for name in names]
    for path in notebooks:
        shutil.copyfile(EXERCISES / path.name, path)
        written.append(path)
    return written
