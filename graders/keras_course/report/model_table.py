"""The learner's model beside the expected one, layer by layer, as plain data for the HTML
report: each layer's units, activation and parameters, with the parameter arithmetic
("2 inputs × 128 units + 128 = 384") and the differences marked. checks/model_table.py fills it
from the export and the grader's MODEL; the report draws it (report/html_report.py)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

PROPERTIES = ("layer", "units", "activation", "parameters")  # what a row may differ in


@dataclass(frozen=True)
class LayerSpec:
    """One layer: its class, units and activation (None: none), what comes into it and its
    parameters where they are known (None: unknown, or not built), its biases' count."""

    kind: str
    units: int | None
    activation: str | None
    inputs: int | None = None
    parameters: int | None = None
    biases: int = 0

    def arithmetic(self) -> str:
        """How the parameters add up: "2 inputs × 128 units + 128 = 384"."""
        if self.parameters is None:
            return self.count()
        inputs, units = self.inputs, self.units
        if inputs is None or units is None or inputs * units + self.biases != self.parameters:
            return self.count()
        product = f"{inputs:,} {_noun(inputs, 'input')} × {units:,} {_noun(units, 'unit')}"
        biases = f" + {self.biases:,}" if self.biases else ""
        return f"{product}{biases} = {self.parameters:,}"

    def count(self) -> str:
        """The parameters without their arithmetic, as model.summary() shows them."""
        return "not built: no parameters yet" if self.parameters is None else f"{self.parameters:,}"

    @property
    def shown_activation(self) -> str:
        return "none" if self.activation in (None, "linear") else self.activation


def _noun(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"


@dataclass(frozen=True)
class LayerRow:
    """Layer `number` of the learner's model (found) and of the expected one: None where one of
    them has no such layer. differs names the PROPERTIES in which they differ."""

    number: int
    found: LayerSpec | None
    expected: LayerSpec | None
    differs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelTable:
    """The two models side by side: their input shapes, their layers, their parameters in all.
    parameters_asked_by names the check whose answer is a parameter count: the expected counts
    are shown only once it passed (report/html_report.py)."""

    found_input: str
    expected_input: str
    rows: tuple[LayerRow, ...]
    found_parameters: int | None
    expected_parameters: int
    parameters_asked_by: str | None = None
    input_differs: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def differences(self) -> int:
        return sum(bool(row.differs) for row in self.rows) + self.input_differs

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> ModelTable:
        rows = tuple(
            LayerRow(
                number=int(row["number"]),
                found=LayerSpec(**row["found"]) if row.get("found") else None,
                expected=LayerSpec(**row["expected"]) if row.get("expected") else None,
                differs=tuple(row.get("differs", ())),
            )
            for row in raw["rows"]
        )
        return cls(**{**raw, "rows": rows, "notes": tuple(raw.get("notes", ()))})
