"""No answer in what a learner sees before solving: the released notebooks and the feedback on
an untouched stub.

The graded values whose answer is a number are read from each reference solution's export,
not written here: the reference model's parameter count, its Dense layers' units, and
counting_parameters's `hidden_layer_params`. What the learner sees before solving is
- the nbgrader release: the source notebook that `keras-course nbgrader` writes, with nbgrader's
  ClearSolutions, ClearOutput and ClearHiddenTests applied, as `nbgrader generate_assignment` does;
- the stub in exercises/ that `keras-course check` grades;
- the feedback `keras-course check` gives on that stub untouched, and its HTML report
  (`check --html`), read as text.

Numbers alone would match everywhere ("(2 points)", "it takes 2 inputs"), so each answer is
matched where it would be an answer (see `answer_patterns`): a parameter count next to the
word "param…"; `hidden_layer_params` followed by its value; the units as code (`Dense(10`,
`units=10`), as a list (`[10, 1]`) or as the grader words them (`10 and 1 units`). The
instructions give each layer's size in neurons ("a hidden layer of 10 neurons"): that is the
task itself, not its answer, and is not matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from html_checks import text_of
from keras_course.author.nbgrader_course import source_notebook
from keras_course.author.stubs import make_stub
from keras_course.checks.submission import Submission
from keras_course.course.config import load_course
from keras_course.course.paths import EXERCISES, SOLUTIONS
from keras_course.grade.html_reports import notebook_report, read_section
from keras_course.plugin import exported_run
from lacking import QUICK_EDITS
from mistakes import Variant
from nbgrader.preprocessors import ClearHiddenTests
from run_here import grade_here

COURSE = load_course()


@dataclass(frozen=True)
class Answers:
    parameters: int
    units: tuple[int, ...]
    hidden_layer_params: int | None


def number(n: int) -> str:
    """A regular expression for n written out, not as a piece of a longer number."""
    forms = "|".join(re.escape(f) for f in sorted({str(n), f"{n:,}"}))
    return rf"(?<![\d.,])(?:{forms})(?!\d|[.,]\d)"


def answer_patterns(answers: Answers) -> list[re.Pattern]:
    counts = [answers.parameters]
    patterns = []
    if answers.hidden_layer_params is not None:
        counts.append(answers.hidden_layer_params)
        patterns.append(
            rf"hidden_layer_params\W{{0,4}}(?:is|==?|:)?\W{{0,4}}{number(answers.hidden_layer_params)}"
        )
    for count in counts:
        patterns += [rf"{number(count)}[^\n]{{0,40}}param", rf"param[^\n]{{0,40}}{number(count)}"]
    units = [number(u) for u in answers.units]
    for unit in units:
        patterns += [rf"Dense\(\s*{unit}", rf"units\s*=\s*{unit}"]
    patterns.append(r"\[\s*" + r"\s*,\s*".join(units) + r"\s*\]")
    listed = " and ".join(filter(None, [", ".join(units[:-1]), units[-1]]))
    patterns.append(rf"{listed} units?\b")
    return [re.compile(p, re.IGNORECASE) for p in patterns]


def leaks(text: str, answers: Answers) -> list[str]:
    return [m.group(0) for p in answer_patterns(answers) for m in p.finditer(text)]


def test_the_patterns_find_answers_and_leave_instructions_alone():
    counting = Answers(parameters=26, units=(5, 1), hidden_layer_params=20)
    for leak in [
        "# hidden_layer_params is 20: 3 inputs × 5 units plus 5 biases. (2 points)",
        "# Print the model's summary: it should list 26 parameters",
        "Total params: 26 (104.00 B)",
        "model.add(Dense(5, input_shape=(3,)))",
        "Two Dense layers, with 5 and 1 units.",
        "expect_dense_units(model, [5, 1])",
        "hidden_layer_params = 20",
    ]:
        assert leaks(leak, counting), leak
    for fine in [
        "# The model takes 3 inputs. (2 points)",
        "# Add a Dense layer of 5 neurons with the relu activation; it takes 3 inputs",
        "How many parameters does the **hidden layer** have? Each of its 5 neurons has one weight",
        'assert_passes("counting_parameters", "hidden_layer_params")',
        "hidden_layer_params = 126",
        "The summary lists 2.6 parameters",
    ]:
        assert not leaks(fine, counting), fine
    assert leaks("Total params: 10,852 (42.39 KB)", Answers(10852, (128, 64, 32, 4), None))
    assert leaks("with 128, 64, 32 and 4 units", Answers(10852, (128, 64, 32, 4), None))


@pytest.fixture(scope="module")
def answers(tmp_path_factory) -> dict[str, Answers]:
    """Each exercise's answers, read from its reference solution's export (without training)."""
    found = {}
    for exercise in COURSE.exercises.values():
        folder = tmp_path_factory.mktemp(exercise.id)
        source = (SOLUTIONS / f"{exercise.id}.ipynb").read_text(encoding="utf-8")
        text = Variant(exercise.id, "reference", QUICK_EDITS.get(exercise.id, ())).apply(source)
        grade_here(text, exercise.id, folder)
        submission = Submission(exercise, exported_run(folder / "artifacts"))
        model = submission.model()
        hidden = (
            submission.value("hidden_layer_params", "")
            if "hidden_layer_params" in exercise.variables
            else None
        )
        found[exercise.id] = Answers(
            model.count_params(), tuple(layer.units for layer in model.layers), hidden
        )
    return found


def release(exercise_id: str) -> nbformat.NotebookNode:
    """The notebook `nbgrader generate_assignment` hands out for this exercise."""
    nb = make_stub(source_notebook(COURSE.exercise(exercise_id)))
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    return nb


def cell_text(nb: nbformat.NotebookNode) -> str:
    return "\n".join(cell.source for cell in nb.cells)


@pytest.mark.parametrize("exercise_id", list(COURSE.exercises))
def test_no_answer_in_what_a_learner_sees_before_solving(tmp_path, answers, exercise_id):
    stub = (EXERCISES / f"{exercise_id}.ipynb").read_text(encoding="utf-8")
    result = grade_here(stub, exercise_id, tmp_path, section=tmp_path / "section.json")
    feedback = [c.feedback for c in result.checks] + result.cell_errors + [result.error or ""]
    report = notebook_report(Path(f"{exercise_id}.ipynb"), result, read_section(tmp_path / "section.json"))
    seen = {
        "the nbgrader release": cell_text(release(exercise_id)),
        "the stub in exercises/": cell_text(nbformat.reads(stub, as_version=4)),
        "the feedback on the untouched stub": "\n".join(feedback),
        "the HTML report on the untouched stub": text_of(report),
    }
    found = {where: leaks(text, answers[exercise_id]) for where, text in seen.items()}
    assert found == dict.fromkeys(seen, []), f"{exercise_id}: {answers[exercise_id]}"
