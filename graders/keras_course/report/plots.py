"""The plots of a learner's report, one function each, drawn from plain arrays.

The caller (grade/figures.py) reads the export and computes the model's predictions with the
grader's own NumPy forward pass; these functions only draw, and write each figure's key numbers
into its alt text, for a screen reader. Held-out data reaches a learner's figure only as totals:
confusion-matrix counts and accuracies. Only the instructor's decision regions take held-out
points (regions_plot's `heldout`).
"""

from __future__ import annotations

import numpy as np

from keras_course.report.canvas import LIGHT, MARKERS, colours, drawing, finished, pyplot, style
from keras_course.report.figure import Figure
from keras_course.report.wording import change, mistakes, number, share

CURVE_TITLE = "Training, as your notebook recorded it"
MAX_PANELS = 3  # of a training curve: the loss and the first two metrics


def orbit_plot(twenty: np.ndarray, eighty: np.ndarray) -> Figure:
    """The model's twenty- and eighty-minute orbits (its predictions for minutes -10 to 10 and -40
    to 40), each beside the scientists' orbit y = t²."""
    orbits = {"Twenty minutes": twenty.reshape(-1), "Eighty minutes": eighty.reshape(-1)}
    scientists, yours = colours(2)
    with drawing(10, 4) as canvas:
        for ax, (name, orbit) in zip(canvas.subplots(1, 2), orbits.items(), strict=True):
            minutes = np.arange(len(orbit)) - len(orbit) // 2
            ax.plot(minutes, minutes**2, color=scientists, linewidth=2.5, label="scientists' orbit y = t²")
            ax.plot(minutes, orbit, color=yours, marker=".", linestyle="--", label="your model's orbit")
            ax.set(title=name, xlabel="minute", ylabel="height")
            ax.legend(loc="upper center")
        return finished(canvas, "Your model's orbits against the scientists' orbit", _orbit_alt(orbits))


def _orbit_alt(orbits: dict[str, np.ndarray]) -> str:
    said = []
    for name, orbit in orbits.items():
        minutes = np.arange(len(orbit)) - len(orbit) // 2
        gap = float(np.mean(np.abs(orbit - minutes**2)))
        said.append(
            f"{name}: on average {number(gap)} from y = t², and at minute {minutes[-1]} at "
            f"{number(float(orbit[-1]))}, where y = t² is at {minutes[-1] ** 2}"
        )
    return "Your model's orbits against the scientists' orbit y = t². " + "; ".join(said) + "."


def pairplot(
    features: dict[str, np.ndarray], classes: np.ndarray, labels: dict[int, str], what: str
) -> Figure:
    """Every pair of features, one point per example coloured (and shaped) by its class, as
    seaborn's pairplot draws it. labels names each class; what says which examples these are."""
    import pandas as pd  # lazy: only this plot needs a data frame
    import seaborn as sns  # lazy: see report/canvas.py

    frame = pd.DataFrame(features).assign(**{"class": [labels[int(c)] for c in classes]})
    names = [labels[c] for c in sorted(labels)]
    plt, palette = pyplot(), dict(zip(names, colours(len(names)), strict=True))
    title = what[:1].upper() + what[1:]
    with style():
        grid = sns.pairplot(
            frame, hue="class", hue_order=names, palette=palette, markers=list(MARKERS[: len(names)]),
            height=1.7, corner=True, plot_kws={"s": 9, "alpha": 0.6, "linewidth": 0},
        )  # fmt: skip
        try:
            # the legend into the corner that corner=True leaves empty
            sns.move_legend(grid, "upper right", bbox_to_anchor=(0.85, 0.85), title="class")
            grid.figure.subplots_adjust(top=0.94)
            grid.figure.suptitle(title)
            counts = ", ".join(f"{int(np.sum(classes == c))} {labels[c]}" for c in sorted(labels))
            alt = f"Pairplot of {what}: {counts}; {', '.join(features)} two by two."
            return finished(grid.figure, title, alt)
        finally:
            plt.close(grid.figure)  # pyplot keeps every figure it made until it is closed


def confusion_plot(matrix: np.ndarray, names: list[str], kinds: list[str], examples: str) -> Figure:
    """A confusion matrix: how many examples of each class (rows) the model gave each class
    (columns). kinds says what each class's examples are ("throws of Kate"), examples what they
    all are ("throws it has never seen")."""
    import seaborn as sns  # lazy: see report/canvas.py

    total, right = int(matrix.sum()), int(np.trace(matrix))
    with drawing(5.2, 4.4) as canvas:
        ax = canvas.subplots()
        sns.heatmap(
            matrix, annot=True, fmt="d", cmap="Blues", cbar=False, square=True, ax=ax,
            xticklabels=names, yticklabels=names, linewidths=0.5, linecolor="white",
        )  # fmt: skip
        title = f"Your model's answers on {total} {examples}"
        ax.set(xlabel="your model's answer", ylabel="the right answer", title=title)
        alt = f"{title}: accuracy {share(right, total)}; {mistakes(matrix, kinds, names)}."
        return finished(canvas, title, alt)


def regions_plot(
    classes: np.ndarray,
    throws: np.ndarray,
    codes: np.ndarray,
    predicted: np.ndarray,
    names: list[str],
    heldout: tuple[np.ndarray, np.ndarray] | None = None,
    what: str = "",
) -> Figure:
    """The model's decision regions over [-1, 1]² (classes: the class it gives each point of a
    square grid, rows from y = -1 up), with the training throws coloured and shaped by competitor
    (codes; predicted: what the model gives each). heldout: held-out throws and their codes, drawn
    as crosses, for the instructor's copy only. what: which throws these are (default: the
    throws of darts.csv)."""
    what = what or f"the {len(codes)} throws of darts.csv"
    from matplotlib.colors import ListedColormap  # lazy: see report/canvas.py

    palette = colours(len(names))
    with drawing(5.8, 6.4 if heldout is None else 6.9) as canvas:
        ax = canvas.subplots()
        ax.imshow(
            classes, origin="lower", extent=(-1, 1, -1, 1), cmap=ListedColormap(palette), alpha=LIGHT,
            vmin=-0.5, vmax=len(names) - 0.5, interpolation="nearest",
        )  # fmt: skip
        _throws(ax, throws, codes, names, palette)
        if heldout is not None:
            _throws(ax, *heldout, [f"{name}, held out" for name in names], palette, marker="x")
        ax.set(xlim=(-1, 1), ylim=(-1, 1), xlabel="xCoord", ylabel="yCoord", aspect="equal")
        also = "\nand the held-out throws (×)" if heldout is not None else ""
        ax.set_title(f"Your model's regions, with {what}{also}")
        canvas.legend(title="competitor", loc="outside lower center", ncols=len(names), frameon=False)
        alt = _regions_alt(classes, codes, predicted, names, heldout is not None, what)
        return finished(canvas, "Your model's decision regions", alt)


def _throws(
    ax, throws: np.ndarray, codes: np.ndarray, names: list[str], palette: list, marker: str = ""
) -> None:
    """Each competitor's throws in its colour, and its shape (or marker for all)."""
    for code, name in enumerate(names):
        outline = {"marker": marker, "linewidth": 1.2} if marker else {
            "marker": MARKERS[code % len(MARKERS)], "edgecolor": "white", "linewidth": 0.4,
        }  # fmt: skip
        ax.scatter(*throws[codes == code].T, s=14, color=palette[code], label=name, **outline)


def _regions_alt(
    classes: np.ndarray, codes: np.ndarray, predicted: np.ndarray, names: list[str], held: bool, what: str
) -> str:
    board = ", ".join(f"{name} {np.mean(classes == code):.0%}" for code, name in enumerate(names))
    right = share(int(np.sum(predicted == codes)), len(codes))
    alt = (
        f"Your model's decision regions over [-1, 1]²: {board} of the board. {what[0].upper()}{what[1:]}, "
        f"coloured by competitor: your model names the right competitor for {right} of them."
    )
    return alt + (" Held-out throws are drawn as crosses." if held else "")


def parcels_plot(accuracies: np.ndarray, examples: int) -> Figure:
    """The accuracy for each parcel (one bar each), on `examples` sensor readings the model has
    never seen, with the accuracy over all parcels."""
    names = [f"parcel {i}" for i in range(len(accuracies))]
    overall = float(np.mean(accuracies))
    with drawing(5.6, 4) as canvas:
        ax = canvas.subplots()
        bars = ax.bar(names, accuracies, color=colours(len(names)))
        ax.bar_label(bars, labels=[f"{a:.3f}" for a in accuracies], padding=2)
        ax.axhline(overall, color="black", linestyle="--", linewidth=1, label=f"all parcels: {overall:.3f}")
        ax.set(ylim=(0, 1.2), ylabel="accuracy", title="Accuracy for each parcel")
        ax.legend(loc="upper left")
        each = ", ".join(f"{name} {a:.3f}" for name, a in zip(names, accuracies, strict=True))
        alt = f"Accuracy for each parcel, on {examples} sensor readings your model has never seen: {each}."
        return finished(canvas, "Accuracy for each parcel", alt)


def training_curve(epochs: np.ndarray, curves: dict[str, np.ndarray]) -> Figure:
    """The loss and metrics that model.fit recorded epoch by epoch, a panel for each (its
    validation twin, val_<name>, dashed beside it); NaN points are left as gaps."""
    keys = sorted(curves, key=lambda key: "loss" not in key)  # the loss first, then the metrics
    panels = [key for key in keys if not key.startswith("val_")][:MAX_PANELS] or keys[:1]
    training, validation = colours(2)
    with drawing(4.2 * len(panels), 3.6) as canvas:
        for ax, key in zip(np.atleast_1d(canvas.subplots(1, len(panels))), panels, strict=True):
            ax.plot(epochs, curves[key], color=training, label="training")
            if f"val_{key}" in curves:
                ax.plot(epochs, curves[f"val_{key}"], color=validation, linestyle="--", label="validation")
            _log_scale_if_wide(ax, curves[key])
            _mark_not_finite(ax, epochs, curves[key])
            ax.set(xlabel="epoch", ylabel=key, title=key, xlim=(1, max(epochs[-1], 2)))
            ax.legend()
        canvas.suptitle(CURVE_TITLE)
        shown = [k for k in keys if k in panels or k.removeprefix("val_") in panels]
        said = "; ".join(change(key, epochs, curves[key]) for key in shown)
        thinned = f" ({len(epochs)} of them drawn)" if len(epochs) < epochs[-1] else ""
        alt = f"{CURVE_TITLE}, {epochs[-1]} epochs{thinned}: {said}."
        return finished(canvas, CURVE_TITLE, alt)


def _log_scale_if_wide(ax, values: np.ndarray) -> None:
    """A logarithmic scale for a positive curve that spans more than two orders of magnitude
    (the meteor's loss falls from thousands to tenths)."""
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 100:
        ax.set_yscale("log")


def _mark_not_finite(ax, epochs: np.ndarray, values: np.ndarray) -> None:
    """A grey band over the epochs whose value was NaN or infinite, which a line cannot show."""
    missing = epochs[~np.isfinite(values)]
    if missing.size:
        ax.axvspan(
            missing[0], max(missing[-1], missing[0] + 0.5), color="0.6", alpha=0.3, label="not a number"
        )
