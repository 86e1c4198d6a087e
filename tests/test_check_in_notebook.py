"""`from keras_course import check; check()` in the last cell of an exercise: the practice check
of the kernel's variables as they stand.

In a real kernel (nbclient) that has run the darts reference without its long fit, check()
gives the same verdicts as `keras-course check` on the notebook saved from that kernel, in a
fraction of the time (both are measured and printed). How check() finds its exercise, and what
it says when it cannot, is tested without a kernel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import nbformat
import pytest
from keras_course import in_notebook
from keras_course.course import data
from keras_course.course.config import load_course
from keras_course.course.paths import SOLUTIONS
from keras_course.in_notebook import find_exercise
from keras_course.run.environment import GRADING_ENV
from mistakes import DARTS_FIT, Variant

COURSE = load_course()
CHECK_CELL = "from keras_course import check; check()"
TIMED = """import json, time, dataclasses
from keras_course import in_notebook
result = dataclasses.asdict(in_notebook.last_result)
print(json.dumps({"seconds": time.monotonic() - _started, "result": result}))"""


def verdicts(result: dict) -> dict[str, bool]:
    return {c["name"]: c["passed"] for c in result["checks"]}


@pytest.mark.notebook
def test_check_in_the_kernel_gives_the_verdicts_of_keras_course_check(tmp_path):
    """darts without its 200-epoch fit: every check but the held-out accuracy passes."""
    from nbclient import NotebookClient

    text = Variant("darts", "no_fit", ((DARTS_FIT, ""),)).apply((SOLUTIONS / "darts.ipynb").read_text())
    nb = nbformat.reads(text, as_version=4)
    assert nb.cells[-1].source == CHECK_CELL
    nb.cells.insert(len(nb.cells) - 1, nbformat.v4.new_code_cell("import time\n_started = time.monotonic()"))
    nb.cells.append(nbformat.v4.new_code_cell(TIMED))
    data.write_learner_file("darts.csv", tmp_path)
    saved = tmp_path / "my attempt.ipynb"  # renamed: the exercise comes from the metadata
    env = dict(os.environ, JPY_SESSION_NAME=str(saved))  # as Jupyter Server starts a notebook's kernel
    env.pop(GRADING_ENV, None)
    started = time.monotonic()
    NotebookClient(nb, kernel_name="python3", timeout=300, shutdown_kernel="immediate").execute(
        cwd=str(tmp_path), env=env
    )
    notebook_seconds = time.monotonic() - started
    timed = json.loads(nb.cells[-1].outputs[0]["text"])
    in_kernel = timed["result"]

    (shown,) = nb.cells[-2].outputs
    assert shown["output_type"] == "display_data"
    html, plain = shown["data"]["text/html"], shown["data"]["text/plain"]
    assert html.startswith('<div class="keras-course-checklist">') and "<strong>darts</strong>" in html
    assert plain.startswith(in_notebook.PRACTICE) and plain.splitlines()[1] == "darts"

    # the notebook as saved from that kernel, checked from the top in a fresh kernel
    nb.cells = nb.cells[:-1]
    del nb.cells[-2]
    nbformat.write(nb, saved)
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "keras_course", "check", "--json", str(saved)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    check_seconds = time.monotonic() - started
    assert out.returncode == 1, out.stderr  # the held-out accuracy of an untrained model fails
    (from_the_top,) = json.loads(out.stdout)["results"]
    print(
        f"\ndarts without its fit: check() in the kernel {timed['seconds']:.1f} s; "
        f"keras-course check {check_seconds:.1f} s (the notebook in nbclient took {notebook_seconds:.1f} s)"
    )

    assert from_the_top["cell_errors"] == [] and from_the_top["error"] is None  # check() left out
    assert verdicts(in_kernel) == verdicts(from_the_top)
    assert {name for name, ok in verdicts(in_kernel).items() if not ok} == {"heldout_accuracy"}
    assert in_kernel["score"] == from_the_top["score"]
    assert timed["seconds"] < check_seconds


def test_the_exercise_comes_from_the_notebook_file_the_kernel_was_started_for(tmp_path):
    copy = tmp_path / "Copy of my work.ipynb"
    copy.write_bytes((SOLUTIONS / "irrigation.ipynb").read_bytes())
    assert find_exercise({"__vsc_ipynb_file__": str(copy)}, COURSE) == "irrigation"
    assert find_exercise({"__session__": str(copy)}, COURSE) == "irrigation"
    # a file that is not there (renamed since the kernel started): its name, as keras-course check
    assert find_exercise({"__session__": str(tmp_path / "darts (1).ipynb")}, COURSE) == "darts"


def test_without_a_file_the_exercise_comes_from_the_variables_or_must_be_named():
    darts = dict.fromkeys(COURSE.exercise("darts").variables, 0)
    assert find_exercise(darts, COURSE) == "darts"  # hello_nets's `model` too, but darts's are more
    counting = dict.fromkeys(COURSE.exercise("counting_parameters").variables, 0)
    assert find_exercise(counting, COURSE) == "counting_parameters"
    with pytest.raises(
        Exception, match=r'cannot tell which exercise this is: name it, as in check\("darts"\)'
    ):
        find_exercise({"model": 0}, COURSE)  # hello_nets or build_as_shown


def test_check_names_a_wrong_exercise_in_one_line_and_does_nothing_in_a_grading_run(capsys, monkeypatch):
    from keras_course import check

    check("mnist")
    assert capsys.readouterr().out.splitlines() == [
        f"keras-course: unknown exercise 'mnist' (known: {', '.join(COURSE.exercises)})"
    ]
    monkeypatch.setenv(GRADING_ENV, "1")
    check("mnist")
    assert capsys.readouterr().out == ""
