"""Print the killed ratio of `make mutate`'s mutmut run, from the stats mutmut exports.

The ratio is mutmut's own score: mutants that the tests killed (or that ran past mutmut's time
limit) among all mutants it did not skip. Exits 1 below GOAL, so `make mutate` fails then.
Run in the mutmut folder after `mutmut export-cicd-stats`: python tests/mutation_score.py FILE
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

GOAL = 0.90


def killed_ratio(stats: dict[str, int]) -> float:
    tested = stats["total"] - stats["skipped"]
    return (stats["killed"] + stats["timeout"]) / tested if tested else 0.0


def main(path: str) -> int:
    stats = json.loads(Path(path).read_text(encoding="utf-8"))
    ratio = killed_ratio(stats)
    counts = ", ".join(
        f"{stats[k]} {k.replace('_', ' ')}" for k in ("killed", "timeout", "survived", "no_tests")
    )
    others = ("suspicious", "segfault", "skipped")
    counts += "".join(f", {stats[k]} {k}" for k in others if stats.get(k))
    tested = stats["total"] - stats["skipped"]
    print(f"killed ratio: {ratio:.1%} of {tested} mutants ({counts}); goal {GOAL:.0%}")
    return 0 if ratio >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
