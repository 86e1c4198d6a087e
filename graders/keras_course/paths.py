"""Where the course's files live: the repository root and the folders below it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COURSE_TOML = ROOT / "course.toml"
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
GRADERS = ROOT / "graders"
DATASETS = ROOT / "datasets"
HELDOUT = DATASETS / "heldout"
SAMPLES = ROOT / "tests" / "samples"
CACHE = ROOT / ".cache"


def grader_file(exercise_id: str) -> Path:
    """The pytest module that grades one exercise."""
    return GRADERS / f"test_{exercise_id}.py"
