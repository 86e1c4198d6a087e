"""The numbers of a figure's alt text, in words: what a screen reader says instead of the picture."""

from __future__ import annotations

import numpy as np

MOST_MISTAKES = 3  # cells of a confusion matrix named in its alt text


def number(value: float) -> str:
    """A measured value, short: 3 significant digits, thousands in full (1,234)."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def share(part: int, whole: int) -> str:
    """part / whole as an accuracy is shown in feedback (0.856)."""
    return f"{part / whole:.3f}" if whole else "none"


def mistakes(matrix: np.ndarray, kinds: list[str], names: list[str]) -> str:
    """The largest off-diagonal cells of a confusion matrix (rows: the right class), e.g. "14 of
    100 throws of Kate classed as Susan". kinds says what the examples of each class are."""
    cells = [
        (int(matrix[i, j]), i, j)
        for i in range(len(names))
        for j in range(len(names))
        if i != j and matrix[i, j] > 0
    ]
    said = [
        f"{count} of {int(matrix[i].sum())} {kinds[i]} classed as {names[j]}"
        for count, i, j in sorted(cells, key=lambda cell: (-cell[0], cell[1], cell[2]))[:MOST_MISTAKES]
    ]
    return "; ".join(said) if said else "no mistakes"


def change(key: str, epochs: np.ndarray, values: np.ndarray) -> str:
    """How a training curve went: "loss from 0.69 at epoch 1 to 0.12 at epoch 200", and at which
    epochs it was not a finite number."""
    finite = np.isfinite(values)
    if not finite.any():
        return f"{key} not a finite number at any epoch"
    first, last = np.flatnonzero(finite)[[0, -1]]
    said = (
        f"{key} from {number(float(values[first]))} at epoch {epochs[first]} "
        f"to {number(float(values[last]))} at epoch {epochs[last]}"
    )
    if not finite.all():
        said += f", not a finite number at {int((~finite).sum())} epochs from epoch {epochs[~finite][0]}"
    return said
