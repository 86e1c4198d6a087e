"""Read course.toml: the exercises, their checks and points, thresholds and limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10: the same parser, as the package tomli (a dependency there)
    import tomli as tomllib

from keras_course.course.errors import CourseError
from keras_course.course.paths import COURSE_TOML

SANDBOX_MODES = ("auto", "required", "off")  # sandbox.py says what each gives
# course.toml [limits] sets each
LIMITS = (
    "timeout",
    "seed",
    "jobs",
    "memory",
    "output_mb",
    "processes",
    "disk_mb",
    "checks_mb",
    "forward_pass_mb",
)


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
    hidden: tuple[str, ...] = ()  # checks on held-out data: hidden tests in nbgrader

    @property
    def max_score(self) -> float:
        return float(sum(self.checks.values()))


@dataclass(frozen=True)
class Course:
    """The whole course.toml."""

    title: str
    timeout: float  # seconds for one whole notebook
    seed: int
    jobs: int
    exercises: dict[str, Exercise]
    memory: float = 0.0  # MB for the kernel's whole process tree; course.toml sets it
    output_mb: float = 0.0  # MB of output a notebook may print; course.toml sets it
    assignments: dict[str, str] = field(default_factory=dict)  # nbgrader name -> lesson
    processes: int = 0  # processes and threads a sandboxed kernel may have at once
    disk_mb: float = 0.0  # MB of files a notebook may write
    checks_mb: float = 0.0  # MB of address space the checks may add to their grading process
    forward_pass_mb: float = 0.0  # MB one forward pass of a learner's model may allocate
    sandbox: dict[str, str] = field(default_factory=dict)  # command ("grade", "check") -> mode
    colab: dict[str, str] = field(default_factory=dict)  # "notebook" (URL, {id}), "install" (pip)

    def assignment_exercises(self, name: str) -> list[Exercise]:
        """The exercises an nbgrader assignment bundles: those of its lesson, in course order."""
        return [e for e in self.exercises.values() if e.lesson == self.assignments[name]]

    def assignment_of(self, exercise_id: str) -> str:
        """The nbgrader assignment that bundles an exercise: the one of its lesson."""
        lesson = self.exercise(exercise_id).lesson
        return next(name for name, of_lesson in self.assignments.items() if of_lesson == lesson)

    def sandbox_mode(self, asked: str | None, command: str = "grade") -> str:
        """The sandbox mode of a command: the one asked for, else course.toml's [sandbox]."""
        return asked or self.sandbox[command]

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
            hidden=tuple(spec.get("hidden", [])),
        )
        unknown = set(exercises[ex_id].hidden) - set(exercises[ex_id].checks)
        if unknown:
            raise CourseError(f"{source}: exercise {ex_id} hides unknown checks {sorted(unknown)}")
    assignments = {name: str(lesson) for name, lesson in raw.get("assignments", {}).items()}
    lessons = set(assignments.values())
    for exercise in exercises.values():
        if exercise.lesson not in lessons:
            raise CourseError(f"{source}: lesson '{exercise.lesson}' of {exercise.id} has no assignment")
    limits = raw.get("limits", {})
    missing = [name for name in LIMITS if name not in limits]
    if missing:
        raise CourseError(f"{source}: [limits] needs {', '.join(missing)}")
    modes = raw.get("sandbox", {})
    sandbox = {command: str(modes.get(command, "required")) for command in ("grade", "check")}
    for command, mode in sandbox.items():
        if mode not in SANDBOX_MODES:
            known = ", ".join(SANDBOX_MODES)
            raise CourseError(f"{source}: [sandbox] {command} = '{mode}', not one of {known}")
    colab = {key: str(value) for key, value in raw.get("colab", {}).items()}
    missing = [key for key in ("notebook", "install") if colab and key not in colab]
    if missing:
        raise CourseError(f"{source}: [colab] needs {', '.join(missing)}")
    return Course(
        title=raw.get("course", {}).get("title", "keras-course"),
        timeout=float(limits["timeout"]),
        seed=int(limits["seed"]),
        jobs=int(limits["jobs"]),
        exercises=exercises,
        assignments=assignments,
        memory=float(limits["memory"]),
        output_mb=float(limits["output_mb"]),
        processes=int(limits["processes"]),
        disk_mb=float(limits["disk_mb"]),
        checks_mb=float(limits["checks_mb"]),
        forward_pass_mb=float(limits["forward_pass_mb"]),
        sandbox=sandbox,
        colab=colab,
    )


@lru_cache(maxsize=1)
def load_course(path: Path = COURSE_TOML) -> Course:
    """The course as course.toml says today."""
    return parse_course(path.read_text(encoding="utf-8"), source=str(path))
