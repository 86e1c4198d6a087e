"""Generate the course's own darts and irrigation data sets, seeded and reproducible.

The original course files have unknown terms of redistribution, so the course ships its own
data with the same columns and sizes. Run `python datasets/generate.py` to rewrite:

- datasets/darts.csv and datasets/irrigation_machine.csv: what the learners' notebooks load;
- datasets/heldout/darts.csv and datasets/heldout/irrigation_machine.csv: drawn from the same
  distributions with other seeds, read only by the graders;
- datasets/banknotes_rows.txt and datasets/heldout/banknotes_rows.txt: which rows of the UCI
  banknotes file the notebooks read, and which the graders hold back (a seeded split).

Only datasets/*.csv and datasets/banknotes_rows.txt go into the learner package; this file
(its seeds) and datasets/heldout/ stay in the instructor's copy.

Difficulty is set so that the course's reference models reach about the course's figures
(darts about 0.85 test accuracy after 200 epochs, irrigation about 0.90); `--bayes` prints the
best accuracy any model could reach on each distribution.

darts: four competitors throw at a board spanning [-1, 1] in x and y. Steve aims at the
bullseye, Susan throws in a ring around it, Michael clusters up and to the left and Kate down
and to the right. Each throw is a 2-D Gaussian around the competitor's aim point; throws that
leave the board are thrown again.

irrigation: twenty soil sensors report counts from 0 to 15. Each parcel needs water when a
noisy linear score of a few sensors is high; parcel 2 is the far parcel and is watered only
together with parcels 0 and 1, as on the original machine.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
COMPETITORS = ("Steve", "Susan", "Michael", "Kate")
SEEDS = {
    "darts": 1001,
    "darts_heldout": 2002,
    "irrigation": 3003,
    "irrigation_heldout": 4004,
    "banknotes_split": 7,
}

# banknotes: the UCI file's rows, and the share of them the graders hold back
BANKNOTES_ROWS = 1372
BANKNOTES_HELDOUT_FRACTION = 0.2

# darts: how far each throw lands from where the competitor aims
DART_SPREAD = 0.18
RING_RADIUS = 0.62
AIMS = {"Michael": (-0.5, 0.5), "Kate": (0.5, -0.5)}

# irrigation: sensor means and how noisy the watering decision is
SENSOR_MEANS = np.linspace(1.0, 5.0, 20)
LABEL_NOISE = 0.48


def _throw(rng: np.random.Generator, competitor: str) -> tuple[float, float]:
    while True:
        if competitor == "Steve":
            x, y = rng.normal(0.0, DART_SPREAD, 2)
        elif competitor == "Susan":
            angle = rng.uniform(0, 2 * np.pi)
            radius = RING_RADIUS + rng.normal(0.0, DART_SPREAD / 2)
            x, y = radius * np.cos(angle), radius * np.sin(angle)
        else:
            ax, ay = AIMS[competitor]
            x, y = ax + rng.normal(0.0, DART_SPREAD), ay + rng.normal(0.0, DART_SPREAD)
        if -1.0 <= x <= 1.0 and -1.0 <= y <= 1.0:
            return float(x), float(y)


def make_darts(rows_per_competitor: int, seed: int) -> pd.DataFrame:
    """Throws of the four competitors, shuffled, with columns xCoord, yCoord, competitor."""
    rng = np.random.default_rng(seed)
    records = [(*_throw(rng, name), name) for name in COMPETITORS for _ in range(rows_per_competitor)]
    frame = pd.DataFrame(records, columns=["xCoord", "yCoord", "competitor"])
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)


def _parcel_scores(sensors: np.ndarray) -> np.ndarray:
    """The noise-free watering scores of the three parcels, one column each."""
    z = (sensors - SENSOR_MEANS) / np.sqrt(SENSOR_MEANS)
    weights = np.zeros((20, 3))
    weights[[0, 3, 7, 12], 0] = [1.0, -0.8, 0.9, 0.7]
    weights[[1, 4, 9, 15], 1] = [0.9, 0.8, -0.7, 0.8]
    weights[[2, 5, 11, 18], 2] = [1.0, 0.9, 0.8, -0.9]
    return z @ weights + np.array([0.6, 1.0, -0.4])


def make_irrigation(rows: int, seed: int) -> pd.DataFrame:
    """Sensor counts and parcel labels, with the unnamed index column of the original file."""
    rng = np.random.default_rng(seed)
    sensors = np.minimum(rng.poisson(SENSOR_MEANS, size=(rows, 20)), 15).astype(float)
    noisy = _parcel_scores(sensors) + rng.normal(0.0, LABEL_NOISE, size=(rows, 3))
    parcels = (noisy > 0).astype(int)
    parcels[:, 2] &= parcels[:, 0] & parcels[:, 1]
    frame = pd.DataFrame(sensors, columns=[f"sensor_{i}" for i in range(20)])
    for i in range(3):
        frame[f"parcel_{i}"] = parcels[:, i]
    return frame


def split_banknotes(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The row numbers (0-based, in the UCI file's order) the notebooks read, and those held back."""
    order = np.random.default_rng(seed).permutation(rows)
    cut = int(round(rows * BANKNOTES_HELDOUT_FRACTION))
    return np.sort(order[cut:]), np.sort(order[:cut])


def rows_text(rows: np.ndarray, what: str) -> str:
    """A row-number file: a comment line, then one 0-based row number per line."""
    return f"# {what} (0-based rows of data_banknote_authentication.txt)\n" + "".join(f"{r}\n" for r in rows)


def bayes_accuracy(samples: int = 200_000) -> dict[str, float]:
    """Monte-Carlo estimate of the best accuracy any model can reach on each data set."""
    from math import erf

    rng = np.random.default_rng(0)
    darts = make_darts(samples // 4, seed=rng.integers(1 << 30))
    xy = darts[["xCoord", "yCoord"]].to_numpy()
    gauss = lambda d2, s: np.exp(-d2 / (2 * s * s)) / (2 * np.pi * s * s)  # noqa: E731
    r = np.hypot(xy[:, 0], xy[:, 1])
    half = DART_SPREAD / 2
    dens = {
        "Steve": gauss(r**2, DART_SPREAD),
        "Susan": np.exp(-((r - RING_RADIUS) ** 2) / (2 * half**2))
        / (np.sqrt(2 * np.pi) * half * 2 * np.pi * np.maximum(r, 1e-9)),
        "Michael": gauss(((xy - AIMS["Michael"]) ** 2).sum(1), DART_SPREAD),
        "Kate": gauss(((xy - AIMS["Kate"]) ** 2).sum(1), DART_SPREAD),
    }
    best = np.array(list(dens.keys()))[np.argmax(np.stack(list(dens.values())), axis=0)]
    darts_bayes = float(np.mean(best == darts["competitor"].to_numpy()))

    irrigation = make_irrigation(samples, seed=rng.integers(1 << 30))
    scores = _parcel_scores(irrigation.iloc[:, :20].to_numpy())
    p = 0.5 * (1 + np.vectorize(erf)(scores / (LABEL_NOISE * np.sqrt(2))))
    p[:, 2] *= p[:, 0] * p[:, 1]
    labels = irrigation[["parcel_0", "parcel_1", "parcel_2"]].to_numpy()
    irrigation_bayes = float(np.mean((p > 0.5) == labels))
    return {"darts": darts_bayes, "irrigation": irrigation_bayes}


def write_all(folder: Path = HERE) -> list[Path]:
    """Write the four CSV files and the two banknote row files, and return their paths."""
    (folder / "heldout").mkdir(parents=True, exist_ok=True)
    files = {
        folder / "darts.csv": make_darts(200, SEEDS["darts"]),
        folder / "heldout" / "darts.csv": make_darts(100, SEEDS["darts_heldout"]),
        folder / "irrigation_machine.csv": make_irrigation(2000, SEEDS["irrigation"]),
        folder / "heldout" / "irrigation_machine.csv": make_irrigation(1000, SEEDS["irrigation_heldout"]),
    }
    for path, frame in files.items():
        if "irrigation" in path.name:
            frame.to_csv(path, index=True, float_format="%.1f")
        else:
            frame.to_csv(path, index=False, float_format="%.6f")
    course_rows, heldout_rows = split_banknotes(BANKNOTES_ROWS, SEEDS["banknotes_split"])
    row_files = {
        folder / "banknotes_rows.txt": rows_text(course_rows, "the banknotes the notebooks read"),
        folder / "heldout" / "banknotes_rows.txt": rows_text(heldout_rows, "the banknotes held back"),
    }
    for path, text in row_files.items():
        path.write_text(text, encoding="utf-8")
    return [*files, *row_files]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into")
    parser.add_argument("--bayes", action="store_true", help="print the best reachable accuracy")
    args = parser.parse_args()
    if args.bayes:
        for name, value in bayes_accuracy().items():
            print(f"{name}: best reachable accuracy {value:.3f}")
        return
    for path in write_all(args.out):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
