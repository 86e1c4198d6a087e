"""What no learner copy of the course may hold, and a scan of files for it.

A learner copy (the wheel `make dist` builds, and its installation) holds no solution, no
held-out row and nothing to rebuild them from:
- no file of solutions/ or datasets/heldout/, no datasets/generate.py (its seeds), no saved
  model (.keras, .h5, .npy, .npz, .pkl);
- no text of nbgrader's solution markers and no answer: each piece of code between them in
  solutions/, as written in a .py file or inside a notebook's JSON. The graders' feedback
  after a failed check names the one line to write for a few of them (HINTS): those are
  allowed in the package's .py files, never in a notebook;
- no held-out row: each data line of datasets/heldout/*.csv, and each held-out banknote as
  banknotes.csv would write it;
- no name of a seed or split of the held-out data (datasets/generate.py SEEDS).
"""

from __future__ import annotations

import json
import re
import sys

from keras_course.course import data
from keras_course.course.paths import DATASETS, HELDOUT, SOLUTIONS

sys.path.insert(0, str(DATASETS))
import generate  # noqa: E402

MODEL_SUFFIXES = (".keras", ".h5", ".npy", ".npz", ".pkl", ".pickle")
MARKERS = ("BEGIN SOLUTION", "END SOLUTION")
ANSWER = re.compile(r"### BEGIN SOLUTION\n(.*?)\n### END SOLUTION", re.DOTALL)
# One-line answers that a failed check's feedback names, as the fix to make.
HINTS = {
    "model.summary()",  # checks/shared.py: "call model.summary() to see ..."
    "darts.competitor = darts.competitor.cat.codes",  # test_darts.py: names still in the column
    "accuracy = model.evaluate(X_test, y_test)[1]",  # test_dollar_bills.py: accuracy not kept
    "twenty_min_orbit = model.predict(np.arange(-10, 11))",  # test_meteor_orbit.py: orbit missing
}


def answers() -> list[str]:
    """Every piece of code between the solution markers in solutions/, as in a .py file and as
    inside a notebook's JSON."""
    found = []
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            for answer in ANSWER.findall("".join(cell["source"])):
                found += [answer, json.dumps(answer)[1:-1]]
    return found


def heldout_rows() -> list[str]:
    """Every held-out row as a CSV file of the course would hold it."""
    rows = [line for path in sorted(HELDOUT.glob("*.csv")) for line in path.read_text().splitlines()[1:]]
    banknotes = data.fetch_banknotes()[data.banknote_rows(HELDOUT)]
    rows += [",".join(f"{v:g}" for v in row[:4]) + f",{int(row[4])}" for row in banknotes]
    return rows


def seed_names() -> list[str]:
    """The names of the held-out data's seeds and split, as datasets/generate.py and data.py had them."""
    return [name for name in generate.SEEDS if "heldout" in name or "split" in name] + [
        "BANKNOTES_SPLIT_SEED",
        "BANKNOTES_HELDOUT_FRACTION",
    ]


def leaks(files: dict[str, bytes]) -> list[str]:
    """What of the above the files (by path) hold, one line each; empty when nothing."""
    found = []
    for name in files:
        parts = name.replace("\\", "/").split("/")
        if "solutions" in parts or "heldout" in parts or parts[-1] == "generate.py":
            found.append(f"{name}: a file of the instructor's copy")
        if name.endswith(MODEL_SUFFIXES):
            found.append(f"{name}: a saved model or array")
    texts = {name: content.decode("utf-8", errors="replace") for name, content in files.items()}
    for kind, needles in (
        ("a solution marker", MARKERS),
        ("an answer", answers()),
        ("a held-out row", heldout_rows()),
        ("a held-out seed", seed_names()),
    ):
        for needle in needles:
            for name, text in texts.items():
                hint = needle in HINTS and name.endswith(".py")
                if needle in text and not hint:
                    found.append(f"{name}: {kind}: {needle[:60]!r}")
    return found
