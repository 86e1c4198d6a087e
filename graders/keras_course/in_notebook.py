"""`from keras_course import check; check()`: the practice check in the last cell of an exercise.

It grades the kernel's variables as they stand, without running or training anything again:
the export that ends every graded run (notebook_checks.grade_kernel: kernel_cells' export code),
then the same pytest graders in a fresh Python process (grading.grade_artifacts). The checklist
shows as HTML in Jupyter, JupyterLab and Colab, and as text in a terminal (IPython or Python).

Which exercise: `check("darts")` names it. `check()` finds it as `keras-course check` does, from
the notebook's own metadata (metadata.keras_course.exercise), else its file name; the kernel
knows its notebook's file from VS Code (`__vsc_ipynb_file__`) or Jupyter Server (`__session__`,
the JPY_SESSION_NAME it started the kernel with). Where no file is known (Colab), the exercise
is the one whose graded variables the kernel all defines, the one with the most of them when
several do; when that leaves a tie, a one-line message asks for `check("<id>")`.

A practice check only: the notebook's code could change what it exports. The grade comes from a
run of the whole notebook from the top, outside the kernel. Such a run leaves the closing
check() cell out (runner.is_check_here), and a check() anywhere else does nothing there
(GRADING_ENV is set in the grading kernel's environment, environment.kernel_environment).
"""

from __future__ import annotations

import os
from pathlib import Path

from keras_course.course.config import Course, load_course
from keras_course.course.errors import CourseError
from keras_course.grade.layouts import exercise_named, exercise_of_file
from keras_course.grade.notebook_checks import grade_kernel, ipython_shell, user_namespace
from keras_course.report.results import Result, checklist, checklist_html
from keras_course.run.environment import GRADING_ENV

PRACTICE = (
    "A practice check of your variables as they are now. Your grade comes from a run of the whole "
    "notebook from the top: `keras-course check NOTEBOOK` in a terminal does that."
)
last_result: Result | None = None  # the result check() showed last


def notebook_file(namespace: dict) -> Path | None:
    """The notebook's file as VS Code or Jupyter Server told the kernel, if either did."""
    for told in (
        namespace.get("__vsc_ipynb_file__"),
        namespace.get("__session__"),
        os.environ.get("JPY_SESSION_NAME"),
    ):
        if isinstance(told, str) and told.lower().endswith(".ipynb"):
            return Path(told)
    return None


def find_exercise(namespace: dict, course: Course) -> str:
    """The exercise of the notebook this kernel runs (see the module's docstring)."""
    path = notebook_file(namespace)
    if path is not None:
        for candidate in (path, Path.cwd() / path.name):  # Jupyter Server's path may be relative
            if candidate.is_file():
                try:
                    return exercise_of_file(candidate, course)
                except CourseError:
                    break
        named = exercise_named(path.name, course.exercises)
        if named is not None:
            return named
    defined = [e for e in course.exercises.values() if all(name in namespace for name in e.variables)]
    most = max((len(e.variables) for e in defined), default=0)
    best = [e.id for e in defined if len(e.variables) == most]
    if len(best) == 1:
        return best[0]
    known = ", ".join(course.exercises)
    raise CourseError(
        f'check() cannot tell which exercise this is: name it, as in check("darts") (one of {known})'
    )


def show(result: Result) -> None:
    """The checklist as HTML where a notebook shows it, with the text beside it, else as text."""
    text = checklist(result, note=PRACTICE)
    shell = ipython_shell()
    if shell is not None and getattr(shell, "kernel", None) is not None:  # a Jupyter or Colab kernel
        from IPython.display import display  # lazy: only in a Jupyter or Colab kernel

        display({"text/html": checklist_html(result, note=PRACTICE), "text/plain": text}, raw=True)
    else:
        print(text)


def check(exercise: str | None = None) -> None:
    """Check this notebook's variables as they are now and show the checklist."""
    global last_result
    if os.environ.get(GRADING_ENV):
        return  # a grading run checks the notebook itself, outside the kernel
    namespace = user_namespace()
    try:
        course = load_course()
        exercise_id = exercise if exercise is not None else find_exercise(namespace, course)
        course.exercise(exercise_id)
        last_result = grade_kernel(exercise_id, namespace)
    except CourseError as exc:
        print(f"keras-course: {exc}")
        return
    show(last_result)
