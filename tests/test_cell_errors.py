"""A cell that fails is named as Jupyter shows the notebook: its position among all cells,
markdown included, and the failing line with its number in the cell; the same in a kernel
(runner.py, from ipykernel's traceback) and in the test suite's fast path (run_here.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pytest
from keras_course.course.paths import ROOT
from keras_course.run.outcome import CellError, failing_line
from run_here import grade_here

CELLS = [
    nbformat.v4.new_markdown_cell("# Counting parameters"),
    nbformat.v4.new_code_cell("def ratio(a, b):\n    return a / b"),
    nbformat.v4.new_markdown_cell("Now divide."),
    nbformat.v4.new_code_cell("x = 1\ny = ratio(x, 0)\nprint(y)"),
    nbformat.v4.new_code_cell("# Count the parameters\n# YOUR CODE HERE\nraise NotImplementedError()"),
    nbformat.v4.new_code_cell("model = (1,"),
]
EXPECTED = [
    "Cell 4, line 2 (`y = ratio(x, 0)`) stopped with ZeroDivisionError: division by zero",
    "Cell 5, line 3 (`raise NotImplementedError()`) is not filled in yet: "
    "replace `raise NotImplementedError()`.",
]
SYNTAX = "Cell 6, line 1 (`model = (1,`) stopped with SyntaxError: "  # then Python's or IPython's words
# An error output's traceback as ipykernel 7 / IPython 9 send it, colours included: the cell's
# own frame first ("Cell In[2], line 2"), then the frame of the function it called.
TRACEBACK = [
    "\x1b[31m---------------------------------------------------------------------------\x1b[39m",
    "\x1b[31mZeroDivisionError\x1b[39m                         Traceback (most recent call last)",
    "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[2]\x1b[39m\x1b[32m, line 2\x1b[39m\n"
    "\x1b[32m      1\x1b[39m x = \x1b[32m1\x1b[39m\n\x1b[32m----> \x1b[39m\x1b[32m2\x1b[39m y = f()\n",
    "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[1]\x1b[39m\x1b[32m, line 7\x1b[39m, in f()\n"
    "\x1b[32m----> \x1b[39m\x1b[32m7\x1b[39m     return 1/0\n",
    "\x1b[31mZeroDivisionError\x1b[39m: division by zero",
]


@pytest.mark.parametrize(
    ("traceback", "line"),
    [
        (TRACEBACK, 2),
        (
            [
                "  \x1b[36mCell\x1b[39m \x1b[32mIn[3]\x1b[39m\x1b[32m, line 4\x1b[39m\n"
                "    x = (1,\n           ^\n"
            ],
            4,
        ),
        (["<ipython-input-3-9f2b>\x1b[0m in \x1b[0;36m<module>\x1b[0m\n      2 x = 1\n----> 3 y = f()\n"], 3),
        (["An exception has occurred, use %tb to see the full traceback.\n", "SystemExit: 0\n"], 0),
        ([], 0),
    ],
)
def test_failing_line_reads_the_cells_own_frame_of_ipykernels_traceback(traceback, line):
    assert failing_line(traceback) == line


def test_a_cell_error_quotes_the_failing_line_or_else_the_first():
    source = "# Build the model\nmodel = Sequential()\nmodel.add(Dense(32, input_shape=(3)))"
    error = CellError.of(source, "ValueError", "Cannot convert '3' to a shape.\nmore", cell=7, line=3)
    where = "Cell 7, line 3 (`model.add(Dense(32, input_shape=(3)))`)"
    assert error.describe() == f"{where} stopped with ValueError: Cannot convert '3' to a shape."
    unknown = CellError.of(source, "SystemExit", "0", cell=7, line=9)  # no such line: none is quoted as it
    assert unknown.describe() == "Cell 7 (`# Build the model`) stopped with SystemExit: 0"
    in_nbgrader = CellError.of(source, "ValueError", "bad", line=2, count=12)
    assert (
        in_nbgrader.describe()
        == "The cell run as [12], line 2 (`model = Sequential()`) stopped with ValueError: bad"
    )


def notebook_text() -> str:
    nb = nbformat.v4.new_notebook(cells=CELLS)
    nb.metadata["keras_course"] = {"exercise": "counting_parameters"}
    return nbformat.writes(nb)


def test_run_here_names_failing_cells_by_position_and_line(tmp_path):
    result = grade_here(notebook_text(), "counting_parameters", tmp_path)
    assert result.cell_errors[:2] == EXPECTED
    assert result.cell_errors[2].startswith(SYNTAX) and len(result.cell_errors) == 3


@pytest.mark.notebook
def test_a_kernel_run_names_failing_cells_as_run_here_does(tmp_path):
    notebook = tmp_path / "counting_parameters.ipynb"
    notebook.write_text(notebook_text(), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "keras_course", "check", notebook, "--json", "--timeout", "60"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    (result,) = json.loads(out.stdout)["results"]
    assert result["cell_errors"][:2] == EXPECTED
    assert result["cell_errors"][2].startswith(SYNTAX) and len(result["cell_errors"]) == 3
