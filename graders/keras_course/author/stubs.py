"""Make the learner's stub from an exercise's source notebook, with nbgrader's preprocessors.

The source is the reference solution in solutions/<id>.ipynb, its answers between nbgrader's
solution markers. ClearSolutions replaces each answer with a
placeholder and keeps the instruction comments around it; ClearOutput empties the outputs.
Then come the Colab cells of course.toml [colab]: an "Open in Colab" badge at the top, and before
the first code cell one that, in Colab only, installs keras-course and writes the data files.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from keras_course.course.config import load_course
from keras_course.course.paths import EXERCISES, SOLUTIONS, instructor_only

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
# Colab has TensorFlow, Keras, pandas, nbformat and pytest already: pip must not replace its
# TensorFlow with the tensorflow-cpu that keras-course asks for on Linux, hence --no-deps.
COLAB_INSTALL = """# In Google Colab only: install keras-course and write the data files beside this notebook.
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", {install}], check=True)
    subprocess.run([sys.executable, "-m", "keras_course", "data", "."], check=True)"""


def colab_cells(exercise_id: str) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """The "Open in Colab" badge and the cell that installs keras-course in Colab."""
    colab = load_course().colab
    url = colab["notebook"].format(id=exercise_id)
    badge = nbformat.v4.new_markdown_cell(f"[![Open In Colab]({COLAB_BADGE})]({url})")
    badge.id = "colab-badge"
    install = nbformat.v4.new_code_cell(COLAB_INSTALL.format(install=json.dumps(colab["install"])))
    install.id = "colab-install"
    return badge, install


def make_stub(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The learner's version of a source notebook, with the Colab cells when course.toml has them."""
    from nbconvert.preprocessors import ClearOutputPreprocessor  # lazy: nbconvert and nbgrader cost
    from nbgrader.preprocessors import ClearSolutions  # seconds at start-up, for `stubs` only

    nb = nbformat.from_dict(source)
    resources: dict = {}
    nb, resources = ClearSolutions(code_stub={"python": CODE_STUB}).preprocess(nb, resources)
    nb, resources = ClearOutputPreprocessor().preprocess(nb, resources)
    if load_course().colab:
        badge, install = colab_cells(nb.metadata["keras_course"]["exercise"])
        first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
        nb.cells.insert(first_code, install)
        nb.cells.insert(0, badge)
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
