"""What a batch decides for every notebook it grades: one object, from the command line down to
each grading process and Dask task, instead of loose seed, timeout, memory and sandbox arguments.
None means course.toml's value."""

from __future__ import annotations

from dataclasses import dataclass

from keras_course.course.config import Course


@dataclass(frozen=True)
class Settings:
    seed: int | None = None
    timeout: float | None = None  # seconds for one whole notebook
    memory: float | None = None  # MB for the kernel's process tree
    sandbox: str | None = None  # "required", "auto" or "off" (run/sandbox.py)

    def sandbox_mode(self, course: Course, command: str = "grade") -> str:
        return course.sandbox_mode(self.sandbox, command)

    def limits(self, course: Course) -> dict[str, float]:
        """The seed and limits a notebook is graded with, course.toml's where not set."""
        return {
            "seed": course.seed if self.seed is None else self.seed,
            "timeout": course.timeout if self.timeout is None else self.timeout,
            "memory": course.memory if self.memory is None else self.memory,
        }

    def pytest_options(self) -> list[str]:
        """The grader's command-line options (plugin.py) for the settings that are set."""
        named = {"sandbox": self.sandbox, "seed": self.seed, "timeout": self.timeout, "memory": self.memory}
        return [f"--{name}={value}" for name, value in named.items() if value is not None]


DEFAULTS = Settings()  # course.toml's seed, limits and sandbox mode
