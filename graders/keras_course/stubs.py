"""Make the learner's stub from an exercise's source notebook, with nbgrader's preprocessors.

The source is the reference solution in solutions/<id>.ipynb, its answers between nbgrader's
solution markers. ClearSolutions replaces each answer with a
placeholder and keeps the instruction comments around it; ClearOutput empties the outputs.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from keras_course.paths import EXERCISES, SOLUTIONS, instructor_only

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def make_stub(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The learner's version of a source notebook."""
    from nbconvert.preprocessors import ClearOutputPreprocessor
    from nbgrader.preprocessors import ClearSolutions

    nb = nbformat.from_dict(source)
    resources: dict = {}
    nb, resources = ClearSolutions(code_stub={"python": CODE_STUB}).preprocess(nb, resources)
    nb, resources = ClearOutputPreprocessor().preprocess(nb, resources)
    return nb


def stub_text(exercise_id: str) -> str:
    """The stub of one exercise as the text of a notebook file."""
    source = nbformat.read(instructor_only(SOLUTIONS / f"{exercise_id}.ipynb", "making stubs"), as_version=4)
    return nbformat.writes(make_stub(source)) + "\n"


def write_stubs(exercise_ids: list[str], folder: Path = EXERCISES) -> list[Path]:
    """Write exercises/<id>.ipynb for each exercise and return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for exercise_id in exercise_ids:
        path = folder / f"{exercise_id}.ipynb"
        path.write_text(stub_text(exercise_id), encoding="utf-8")
        written.append(path)
    return written
