"""The model of an exercise's instructions, layer by layer: one constant in its grader
(graders/test_<id>.py `MODEL`), which the grader's checks expect and the learner's HTML report
shows beside the learner's own model, so that the two never disagree."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExpectedModel:
    """A stack of Dense layers on `inputs` features: each layer's units and activation (None: no
    activation). parameters_asked_by names the check whose answer is a parameter count (the
    learner counts them): the report shows the expected counts only once it passed."""

    inputs: int
    units: tuple[int, ...]
    activations: tuple[str | None, ...]
    parameters_asked_by: str | None = None

    def __post_init__(self) -> None:
        if len(self.units) != len(self.activations):
            raise ValueError(f"{len(self.units)} layers of units, but {len(self.activations)} activations")

    def layer_inputs(self) -> list[int]:
        """What comes into each layer: the model's inputs, then the units of the layer before."""
        return [self.inputs, *self.units[:-1]]

    def layer_parameters(self) -> list[int]:
        """Each layer's parameters: a weight per input and unit, and a bias per unit."""
        return [width * units + units for width, units in zip(self.layer_inputs(), self.units, strict=True)]

    @property
    def parameters(self) -> int:
        return sum(self.layer_parameters())
