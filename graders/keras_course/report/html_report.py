"""The learner's HTML report: one self-contained file, for one notebook (`check --html`) or for
all of a learner's exercises (`grade --html-dir`).

Everything is inline: the style, the figures as data URIs; no script, font or stylesheet is
fetched, and the page's Content-Security-Policy forbids it, so the report reads the same
offline. It reads with a screen reader: headings per exercise, the checklist as a list whose
items say "Passed", "Failed" or "Pending" in words, the model table with header cells and
scopes, each difference marked by a word as well as a colour, and every figure's alt text.

Per exercise: the checklist with points and feedback; the learner's model beside the expected
one (report/model_table.py), layer by layer; the grader's figures (report/section.py). The
expected parameter counts of an exercise that asks the learner to count them are shown only once
that check passed (ModelTable.parameters_asked_by).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from keras_course.course.config import Exercise
from keras_course.report.model_table import LayerSpec, ModelTable
from keras_course.report.results import NOT_ISOLATED, CheckResult, Result, total_line
from keras_course.report.section import Section

if TYPE_CHECKING:
    import jinja2

# The page may load images from data: URIs and use its own inline style: nothing else.
REPORT_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STATUS_WORDS = {"passed": "Passed", "failed": "Failed", "pending": "Pending"}
NO_SECTION = "Your model and the figures were not drawn for this notebook: it did not run to its end."


@dataclass(frozen=True)
class Cell:
    """A cell of the model table: its text, and whether it differs from the expected."""

    text: str
    differs: bool = False


@dataclass(frozen=True)
class Part:
    """One exercise of a report: its result, and its section where one was drawn."""

    exercise: Exercise
    result: Result
    section: Section | None = None

    @property
    def anchor(self) -> str:
        return f"exercise-{self.exercise.id}"


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the report's templates, escaping everything they insert."""
    import jinja2  # lazy: only a report renders HTML

    loader = jinja2.PackageLoader("keras_course.report", "templates")
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)
    env.globals.update(status=status, status_word=status_word, points_text=points_text, model_rows=model_rows)
    env.globals.update(total_cells=total_cells, input_cells=input_cells)
    env.globals.update(total_line=total_line, problems=problems, note=note, about_model=about_model)
    return env


def status_word(result: Result, check: CheckResult) -> str:
    if not result.submitted:
        return "Not submitted"
    return STATUS_WORDS[status(check)]


def status(check: CheckResult) -> str:
    return "pending" if check.pending else "passed" if check.passed else "failed"


def points_text(check: CheckResult) -> str:
    noun = "point" if check.max_points == 1 else "points"
    if check.pending:
        return f"{check.max_points:g} {noun} when you hand it in"
    return f"{check.points:g} of {check.max_points:g} {noun}"


def problems(result: Result) -> list[str]:
    """What stopped the run, then each cell that stopped with an error."""
    return [problem for problem in [result.error, *result.cell_errors] if problem]


def note(result: Result) -> str:
    return NOT_ISOLATED if result.submitted and result.isolation == "none" else ""


def about_model(part: Part) -> str:
    """Why there is no model table: the section says; none drawn, for a notebook that ran."""
    if part.section is not None:
        return part.section.about_model
    return NO_SECTION if part.result.submitted else ""


def parameters_shown(table: ModelTable, result: Result) -> bool:
    """Whether the expected parameters may be shown: unless the learner is asked to count them
    and that check has not passed."""
    asked = table.parameters_asked_by
    return asked is None or any(c.name == asked and c.passed for c in result.checks)


def model_rows(table: ModelTable, result: Result) -> list[tuple[str, list[Cell]]]:
    """Each layer's row: its header and cells (units, activation, parameters; yours, then
    expected)."""
    shown = parameters_shown(table, result)
    rows = []
    for row in table.rows:
        mine = layer_cells(row.found, row.differs, mine=True, arithmetic=shown)
        cells = [*mine, *layer_cells(row.expected, (), mine=False)]
        rows.append((f"Layer {row.number}", side_by_side(cells, shown, table)))
    return rows


def total_cells(table: ModelTable, result: Result) -> list[Cell]:
    """The parameters of all layers: yours, then expected (withheld, as the layers' are)."""
    total = table.found_parameters
    found = "unknown (not built)" if total is None else f"{total:,}"
    shown = parameters_shown(table, result)
    expected = f"{table.expected_parameters:,}" if shown else withheld(table)
    return [Cell(found, total != table.expected_parameters), Cell(expected)]


def input_cells(table: ModelTable) -> list[Cell]:
    """The input shape: yours, then expected."""
    return [Cell(table.found_input, table.input_differs), Cell(table.expected_input)]


def layer_cells(
    layer: LayerSpec | None, differs: tuple[str, ...], mine: bool, arithmetic: bool = True
) -> list[Cell]:
    """Units, activation and parameters of one side of a row; on the learner's side, marked
    where they differ. Without arithmetic, the parameters are the count alone, as
    model.summary() shows it."""
    if layer is None:
        gone = "no such layer" if mine else "no such layer expected"
        return [Cell(gone, mine), Cell("—", mine), Cell("—", mine)]
    units = "no units" if layer.units is None else f"{layer.units} unit{'' if layer.units == 1 else 's'}"
    units = units if layer.kind == "Dense" else f"{layer.kind}, {units}"
    marked = {"units", "activation", "parameters"} if "layer" in differs else set(differs)
    return [
        Cell(units, mine and "units" in marked),
        Cell(layer.shown_activation, mine and "activation" in marked),
        Cell(layer.arithmetic() if arithmetic else layer.count(), mine and "parameters" in marked),
    ]


def side_by_side(cells: list[Cell], parameters_shown: bool, table: ModelTable) -> list[Cell]:
    """Yours beside expected for each property; the expected parameters withheld unless shown."""
    mine, theirs = cells[:3], cells[3:]
    if not parameters_shown:
        theirs[2] = Cell(withheld(table))
    return [cell for pair in zip(mine, theirs, strict=True) for cell in pair]


def withheld(table: ModelTable) -> str:
    return f"count them yourself: shown once {table.parameters_asked_by} passes"


def learner_report(title: str, heading: str, parts: list[Part], notes: tuple[str, ...] = ()) -> str:
    """The report's HTML: title for the page, heading for its top (the learner or the notebook),
    notes under it (how the notebooks ran), one part per exercise in the course's order."""
    template = environment().get_template("report.html.j2")
    return template.render(title=title, heading=heading, parts=parts, notes=notes, policy=REPORT_POLICY)
