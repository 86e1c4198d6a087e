"""Print the killed ratio of `make mutate`'s mutmut run, from the stats mutmut exports.

The ratio is mutmut's own score over the mutants that this run tested: those that the tests
killed (or that ran past mutmut's time limit) among all that got a verdict. Mutants that a
restricted run (MUTANTS=...) left out are counted apart. Exits 1 below GOAL, so `make mutate`
fails then. Usage: python tools/mutation_score.py mutants/mutmut-cicd-stats.json

With --mutated-sum instead, it prints a sha256 of the files that mutmut mutates (pyproject.toml
`[tool.mutmut] only_mutate`), by which `make mutate-more` knows that they are as they were when
the run began.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from keras_course.course.config import tomllib  # tomli on Python 3.10
from keras_course.course.paths import ROOT

GOAL = 0.90
CAUGHT = ("killed", "timeout")
MISSED = ("survived", "no_tests", "suspicious", "segfault")


def killed_ratio(stats: dict[str, int]) -> tuple[float, int]:
    """The share of tested mutants that were caught, and how many were tested."""
    tested = sum(stats[k] for k in CAUGHT + MISSED)
    return (sum(stats[k] for k in CAUGHT) / tested if tested else 0.0), tested


def main(path: str) -> int:
    stats = json.loads(Path(path).read_text(encoding="utf-8"))
    ratio, tested = killed_ratio(stats)
    counts = ", ".join(
        f"{stats[k]} {k.replace('_', ' ')}" for k in CAUGHT + MISSED if stats[k] or k in CAUGHT
    )
    not_run = stats["total"] - tested - stats["skipped"]
    print(f"killed ratio: {ratio:.1%} of {tested} mutants tested ({counts}); goal {GOAL:.0%}")
    if not_run or stats["skipped"]:
        print(f"not tested in this run: {not_run} mutants, skipped: {stats['skipped']}")
    return 0 if tested and ratio >= GOAL else 1


def mutated_sum() -> str:
    """A sha256 over the names and contents of the files mutmut mutates, below graders/."""
    mutmut = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    digest = hashlib.sha256()
    for pattern in mutmut["only_mutate"]:  # src/ is graders/ (see `make mutate`)
        for path in sorted(ROOT.glob("graders/" + pattern.removeprefix("src/"))):
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


if __name__ == "__main__":
    if sys.argv[1:] == ["--mutated-sum"]:
        print(mutated_sum())
        sys.exit(0)
    sys.exit(main(sys.argv[1]))
