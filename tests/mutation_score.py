"""Print the killed ratio of `make mutate`'s mutmut run, from the stats mutmut exports.

The ratio is mutmut's own score over the mutants that this run tested: those that the tests
killed (or that ran past mutmut's time limit) among all that got a verdict. Mutants that a
restricted run (MUTANTS=...) left out are counted apart. Exits 1 below GOAL, so `make mutate`
fails then. Usage: python tests/mutation_score.py mutants/mutmut-cicd-stats.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
