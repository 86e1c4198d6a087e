"""Each tool runs as the Makefile runs it, as a script from the repository's root, with nothing
on its path but its own folder: what it imports of tests/ (mistakes.py, test_slots.py) it finds
itself. pytest's pythonpath (pyproject.toml) would hide a tool that cannot."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from keras_course.course.paths import ROOT

ARGS = {
    "bench.py": ["--help"],
    "bench_isolation.py": ["--help"],
    "calibrate.py": ["--help"],
    "figures_cost.py": ["--help"],
    "soak.py": ["--help"],
    "mutation_score.py": ["--mutated-sum"],
}


def test_every_tool_is_run_here():
    assert {p.name for p in (ROOT / "tools").glob("*.py") if not p.name.startswith("test_")} == {
        *ARGS,
        "samples.py",  # it writes samples/: test_course_sources.py checks what it writes
    }


@pytest.mark.parametrize("tool", sorted(ARGS))
def test_a_tool_runs_as_a_script(tool):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, f"tools/{tool}", *ARGS[tool]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip()
