"""The course's data: fetch and verify the UCI banknotes, hand out learner files and held-out sets.

- banknotes: the real UCI Banknote Authentication data. It is downloaded once with
  `keras.utils.get_file`, from UCI or from the mirror folder that KERAS_COURSE_DATA_MIRROR
  names, cached under .cache/datasets, and verified by its parsed values.
- darts and irrigation: the course's own generated files in datasets/ (see datasets/generate.py).
- held-out sets: data no notebook ever loads, read only by the graders, in datasets/heldout/:
  the held-out darts and irrigation files and the row numbers of the held-back banknotes.
  Only the instructor's copy (the repository) has that folder; the learner package does not,
  and its checks on held-out data are pending (plugin.py).

Which banknotes the notebooks read is datasets/banknotes_rows.txt; the split was drawn by
datasets/generate.py, whose seeds stay in the instructor's copy.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from keras_course.course.errors import CourseError
from keras_course.course.paths import CACHE, DATASETS, HELDOUT

BANKNOTES_ORIGIN = (
    "https://archive.ics.uci.edu/ml/machine-learning-databases/00267/data_banknote_authentication.txt"
)
BANKNOTES_FILE = "data_banknote_authentication.txt"
BANKNOTES_COLUMNS = ("variance", "skewness", "curtosis", "entropy", "class")
BANKNOTES_ROWS = 1372
BANKNOTES_CLASS_COUNTS = (762, 610)
# sha256 of the parsed values, rounded to 5 decimals, as little-endian float64 bytes
BANKNOTES_VALUES_SHA256 = "d3e1bbb91eaee6bf88af6f913793fe9e5dd6c5257c609cc8095006f8e6a254a8"
BANKNOTES_ROWS_FILE = "banknotes_rows.txt"  # in datasets/ (the notebooks') and datasets/heldout/
MIRROR_ENV = "KERAS_COURSE_DATA_MIRROR"
MIRROR_NAMES = ("banknotes.csv", BANKNOTES_FILE)


def parse_banknotes(text: str, source: str) -> np.ndarray:
    """Parse the UCI file, with or without a header row, into a (rows, 5) float array."""
    rows = []
    for number, line in enumerate(text.strip().splitlines(), start=1):
        fields = [f.strip() for f in line.split(",")]
        if number == 1 and fields and fields[0].lower() == "variance":
            names = tuple(f.lower() for f in fields)
            if names != BANKNOTES_COLUMNS:
                raise CourseError(f"{source}: unexpected columns {', '.join(names)}")
            continue
        if len(fields) != 5:
            raise CourseError(f"{source}: line {number} has {len(fields)} fields, not 5")
        try:
            rows.append([float(f) for f in fields])
        except ValueError:
            raise CourseError(f"{source}: line {number} is not numeric: {line.strip()}") from None
    return np.array(rows, dtype=np.float64).reshape(-1, 5)


def banknotes_checksum(values: np.ndarray) -> str:
    return hashlib.sha256(np.round(values, 5).astype("<f8").tobytes()).hexdigest()


def verify_banknotes(values: np.ndarray, source: str) -> None:
    """Raise CourseError unless these are exactly the UCI banknotes."""
    if len(values) != BANKNOTES_ROWS:
        raise CourseError(f"{source}: {len(values)} rows, expected {BANKNOTES_ROWS}")
    counts = tuple(int((values[:, 4] == c).sum()) for c in (0, 1))
    if counts != BANKNOTES_CLASS_COUNTS:
        raise CourseError(f"{source}: class counts {counts}, expected {BANKNOTES_CLASS_COUNTS}")
    digest = banknotes_checksum(values)
    if digest != BANKNOTES_VALUES_SHA256:
        raise CourseError(f"{source}: values differ from the UCI original (sha256 {digest})")


def _banknotes_origin() -> str:
    mirror = os.environ.get(MIRROR_ENV)
    if not mirror:
        return BANKNOTES_ORIGIN
    for name in MIRROR_NAMES:
        candidate = Path(mirror).expanduser().resolve() / name
        if candidate.is_file():
            return candidate.as_uri()
    raise CourseError(f"{mirror}: the {MIRROR_ENV} folder has none of {', '.join(MIRROR_NAMES)}")


def fetch_banknotes(cache_dir: Path = CACHE, origin: str | None = None) -> np.ndarray:
    """The verified banknotes, downloaded on first use and cached."""
    cached = cache_dir / "datasets" / BANKNOTES_FILE
    if not cached.is_file():
        import keras  # only on the first download: importing it costs seconds

        origin = origin or _banknotes_origin()
        cache_dir.mkdir(parents=True, exist_ok=True)  # get_file falls back to /tmp otherwise
        try:
            path = keras.utils.get_file(fname=BANKNOTES_FILE, origin=origin, cache_dir=str(cache_dir))
        except Exception as exc:  # get_file wraps network errors in several types
            raise CourseError(f"could not download the banknotes from {origin}: {exc}") from None
        cached = Path(path)
    values = parse_banknotes(cached.read_text(encoding="utf-8"), str(cached))
    try:
        verify_banknotes(values, str(cached))
    except CourseError:
        cached.unlink()  # a bad download must not poison the cache
        raise
    return values


def banknote_rows(folder: Path) -> np.ndarray:
    """The row numbers listed in folder/banknotes_rows.txt (0-based, in the UCI file's order)."""
    path = folder / BANKNOTES_ROWS_FILE
    if not path.is_file():
        raise CourseError(f"no {path}")
    return np.loadtxt(path, dtype=int, comments="#", ndmin=1)


def heldout_available() -> bool:
    """Whether the held-out data is here: in the instructor's copy, not in the learner package."""
    return HELDOUT.is_dir()


def _banknotes_csv() -> str:
    """banknotes.csv as the notebooks read it: the course's rows of the UCI banknotes."""
    course_rows = fetch_banknotes()[banknote_rows(DATASETS)]
    lines = [",".join(BANKNOTES_COLUMNS)]
    lines += [",".join(f"{v:g}" for v in row[:4]) + f",{int(row[4])}" for row in course_rows]
    return "\n".join(lines) + "\n"


def _learner_source(name: str) -> str | Path:
    """A data file that a notebook may read: banknotes.csv's text, or the file in DATASETS."""
    if name == "banknotes.csv":
        return _banknotes_csv()
    if (DATASETS / name).is_file():
        return DATASETS / name
    raise CourseError(f"no data file named {name} in {DATASETS}")


def write_learner_file(name: str, folder: Path) -> Path:
    """Write one data file that a notebook may read into folder."""
    target = folder / name
    source = _learner_source(name)
    if isinstance(source, Path):
        shutil.copyfile(source, target)
    else:
        target.write_text(source, encoding="utf-8")
    return target


@cache
def learner_table(name: str) -> dict[str, np.ndarray]:
    """A data file as a notebook reads it with pd.read_csv, column by column: what the graders
    compare a learner's rows with. Read once; the arrays are read-only."""
    import pandas as pd  # lazy: only the checks that compare rows with the data need it

    source = _learner_source(name)
    frame = pd.read_csv(source if isinstance(source, Path) else io.StringIO(source))
    columns = {str(column): frame[column].to_numpy() for column in frame.columns}
    for values in columns.values():
        values.flags.writeable = False
    return columns


@dataclass(frozen=True)
class HeldOut:
    """Inputs and labels that no notebook sees."""

    x: np.ndarray
    y: np.ndarray


@cache
def heldout(exercise_id: str) -> HeldOut:
    """The held-out data the graders judge one exercise's trained model on (read once)."""
    if exercise_id in ("darts", "irrigation"):
        import pandas as pd  # lazy: 0.3 s to import, for the two exercises whose data are tables
    if exercise_id != "meteor_orbit" and not heldout_available():
        raise CourseError(
            f"the held-out data of {exercise_id} is only in the instructor's copy of the course"
        )
    if exercise_id == "meteor_orbit":
        # points between the training time steps, across the whole training range
        t = np.arange(-10, 10, 0.01) + 0.005
        return HeldOut(t.reshape(-1, 1), (t**2).reshape(-1, 1))
    if exercise_id == "dollar_bills":
        rows = fetch_banknotes()[banknote_rows(HELDOUT)]
        return HeldOut(rows[:, :4], rows[:, 4:5])
    if exercise_id == "darts":
        frame = pd.read_csv(HELDOUT / "darts.csv")
        codes = pd.Categorical(frame["competitor"]).codes.astype(int)
        return HeldOut(frame[["xCoord", "yCoord"]].to_numpy(), codes)
    if exercise_id == "irrigation":
        frame = pd.read_csv(HELDOUT / "irrigation_machine.csv", index_col=0)
        return HeldOut(frame.iloc[:, :20].to_numpy(), frame.iloc[:, 20:].to_numpy())
    raise CourseError(f"exercise '{exercise_id}' has no held-out data")


@dataclass(frozen=True)
class DataFiles:
    """The course's data files, by path under a datasets/ folder, and their digest."""

    digest: str
    files: dict[str, bytes]


def data_files() -> DataFiles:
    """The data files here: datasets/ (the learner files and heldout/, where this copy has it)
    and the banknotes as downloaded (mirror/), which a Dask worker, or Gradescope's autograder
    (author/gradescope_zip.py), then need not download."""

    files = {}
    for path in sorted([*DATASETS.glob("*.csv"), *DATASETS.glob("*.txt"), *HELDOUT.glob("*")]):
        if path.is_file():
            files[f"datasets/{path.relative_to(DATASETS).as_posix()}"] = path.read_bytes()
    try:
        fetch_banknotes()  # cached after the first time
        raw = CACHE / "datasets" / BANKNOTES_FILE
        files[f"mirror/{BANKNOTES_FILE}"] = raw.read_bytes()
    except (CourseError, OSError):
        pass  # not at hand here: each worker fetches them as the local pool would
    digest = hashlib.sha256()
    for name, content in sorted(files.items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return DataFiles(digest.hexdigest(), files)
