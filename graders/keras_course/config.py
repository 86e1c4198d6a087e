"""Read course.toml: the exercises, their checks and points, thresholds and limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import tomllib

from keras_course.paths import COURSE_TOML


class CourseError(Exception):
    """A problem the user must fix, told in one line."""


@dataclass(frozen=True)
class Exercise:
    """One exercise as course.toml defines it."""

    id: str
    title: str
    lesson: str
    data: tuple[str, ...]
    variables: tuple[str, ...]
    checks: dict[str, float]
    thresholds: dict[str, float] = field(default_factory=dict)

    @property
    def max_score(self) -> float:
        return float(sum(self.checks.values()))


@dataclass(frozen=True)
class Course:
    """The whole course.toml."""

    title: str
    timeout: float
    seed: int
    jobs: int
    exercises: dict[str, Exercise]

    def exercise(self, exercise_id: str) -> Exercise:
        try:
            return self.exercises[exercise_id]
        except KeyError:
            known = ", ".join(self.exercises)
            raise CourseError(f"unknown exercise '{exercise_id}' (known: {known})") from None


def parse_course(text: str, source: str = "course.toml") -> Course:
    """Build a Course from the text of a course.toml."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{source}: not valid TOML: {exc}") from None
    exercises = {}
    for ex_id, spec in raw.get("exercises", {}).items():
        exercises[ex_id] = Exercise(
            id=ex_id,
            title=spec["title"],
            lesson=spec["lesson"],
            data=tuple(spec.get("data", [])),
            variables=tuple(spec.get("variables", [])),
            checks={name: float(points) for name, points in spec["checks"].items()},
            thresholds={name: float(v) for name, v in spec.get("thresholds", {}).items()},
        )
    limits = raw.get("limits", {})
    return Course(
        title=raw.get("course", {}).get("title", "keras-course"),
        timeout=float(limits.get("timeout", 300)),
        seed=int(limits.get("seed", 42)),
        jobs=int(limits.get("jobs", 2)),
        exercises=exercises,
    )


@lru_cache(maxsize=1)
def load_course(path: Path = COURSE_TOML) -> Course:
    """The course as course.toml says today."""
    return parse_course(path.read_text(encoding="utf-8"), source=str(path))
