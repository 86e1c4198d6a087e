"""The pytest plugin behind the graders: options, fixtures, and the result of each check.

`pytest graders/test_darts.py --submission path/to/darts.ipynb` runs the notebook once per
grader module (fixture `run`), and each test is one check. A check's points come from
course.toml under the test's name without `test_`. The Gradebook collects a CheckResult per
test, with the learner-facing message of a failure or what a passed check measured
(feedback.passed), and writes JSON with --grade-json.

A check on held-out data (course.toml `hidden`) needs datasets/heldout/, which only the
instructor's copy has. Where it is missing (the learner package) the check does not run: it is
pending, "checked when you hand it in", neither passed nor failed (results.CheckResult.pending).

A fixture that fails (the run could not be set up: a slot's folder that cannot be emptied, say),
or a grader module the course does not know, is the grader's failure, not the learner's: the
result says so (results.GRADER_FAILED, Result.grader_error), and `grade --resume` grades again.

With --report-section PATH (`check --html`, `grade --html-dir`), the notebook's section of the
HTML report is drawn once the checks have run, while its export is still there: its model beside
the grader's MODEL and the grader's figures (grade/report_section.py, imported only then).

In a grading process of its own (--cap-check-memory, which grader_processes.py passes), the
process's address space is capped once the notebook has run, at what it holds plus course.toml
[limits] checks_mb: a check that allocates past it fails with OUT_OF_MEMORY, in plain words.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

from keras_course.checks.feedback import CheckFailed, take_measured
from keras_course.checks.submission import Submission
from keras_course.course.config import Exercise, load_course
from keras_course.course.data import heldout_available, learner_table
from keras_course.course.errors import CourseError
from keras_course.grade.grader_processes import CAP_OPTION, cap_address_space
from keras_course.report.results import (
    GRADER_FAILED,
    PENDING,
    CheckResult,
    Result,
    checklist,
    to_json,
    write_atomic,
)
from keras_course.run.outcome import RUN_FILE, CellError, RunResult
from keras_course.run.runner import run_notebook, temporary_workdir

GRADEBOOK = "keras_course_gradebook"
OUT_OF_MEMORY = (
    "The grader stopped this check: it needed more than the {:g} MB of memory that the checks may "
    "use. Check that your variables are the size the exercise makes them, and your model the size of "
    "the instructions."
)
PENDING_FEEDBACK = (
    "Checked when you hand it in: this check needs data your model has never seen, which only the grader has."
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("keras-course")
    group.addoption("--submission", help="the learner's notebook to grade")
    group.addoption("--learner", default="", help="the learner's name, for reports")
    group.addoption("--seed", type=int, default=None, help="seed (default: course.toml)")
    group.addoption("--timeout", type=float, default=None, help="seconds for the notebook")
    group.addoption("--memory", type=float, default=None, help="MB for the notebook's processes")
    group.addoption(
        "--sandbox",
        default=None,
        choices=("auto", "required", "off"),
        help="run the kernel in the Linux sandbox (default: course.toml [sandbox] grade)",
    )
    group.addoption("--grade-json", default=None, help="write the result as JSON here")
    group.addoption(
        CAP_OPTION,
        action="store_true",
        help="cap this process's memory once the notebook has run (course.toml [limits] checks_mb)",
    )
    group.addoption(
        "--report-section",
        default=None,
        help="draw the notebook's section of the HTML report (its model, the figures) as JSON here",
    )
    group.addoption(
        "--artifacts",
        default=None,
        help="grade variables a notebook already exported (by keras_course.grade.notebook_checks)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(GRADEBOOK):
        config.pluginmanager.register(Gradebook(config), GRADEBOOK)


def _exercise(module: object) -> Exercise:
    return load_course().exercise(module.EXERCISE)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def exercise(request: pytest.FixtureRequest) -> Exercise:
    return _exercise(request.module)


@pytest.fixture(scope="module")
def run(request: pytest.FixtureRequest, exercise: Exercise) -> RunResult:
    """The learner's notebook, run once for all the checks of this module."""
    config = request.config
    artifacts = config.getoption("--artifacts")
    result = exported_run(Path(artifacts)) if artifacts else _run_notebook(request, exercise)
    config.pluginmanager.get_plugin(GRADEBOOK).record_run(result)
    section = config.getoption("--report-section")
    if section:  # drawn once the checks have run, before the run's folder is removed
        request.addfinalizer(lambda: _write_section(request, exercise, result, Path(section)))
    if config.getoption(CAP_OPTION):  # a grading process of its own, whose kernel has ended
        _cap_memory(exercise)
    return result


def _cap_memory(exercise: Exercise) -> None:
    """Cap this process's memory for the checks, once the data files they compare with are read:
    reading banknotes.csv may download the banknotes with Keras, which needs more room."""
    for name in exercise.data:
        with contextlib.suppress(CourseError):  # the check that reads it says what is wrong
            learner_table(name)
    cap_address_space(load_course().checks_mb)


def _write_section(request: pytest.FixtureRequest, exercise: Exercise, run: RunResult, target: Path) -> None:
    """The report's section of this notebook, from its export and the grader's MODEL."""
    # lazy: only a report draws (matplotlib, seaborn); a plain grading imports none of it
    from keras_course.grade.report_section import write_section

    notebook = request.config.getoption("--submission")
    expected = getattr(request.module, "MODEL", None)
    write_section(target, Submission(exercise, run), expected, Path(notebook) if notebook else None)


def _run_notebook(request: pytest.FixtureRequest, exercise: Exercise) -> RunResult:
    """The learner's notebook (--submission), run in a kernel that has ended when this returns."""
    config = request.config
    notebook = config.getoption("--submission")
    if not notebook:
        raise pytest.UsageError("give the notebook to grade with --submission PATH")
    course = load_course()
    seed = config.getoption("--seed")
    timeout = config.getoption("--timeout")
    workdir = temporary_workdir()
    request.addfinalizer(workdir.cleanup)
    try:
        result = run_notebook(
            Path(notebook),
            exercise,
            Path(workdir.name),
            seed=course.seed if seed is None else seed,
            timeout=course.timeout if timeout is None else timeout,
            memory=config.getoption("--memory"),  # None: course.toml's [limits]
            sandbox_mode=course.sandbox_mode(config.getoption("--sandbox")),
        )
    except CourseError as exc:  # not a notebook: every check fails with this one reason
        result = RunResult(artifacts=None, error=str(exc))
    return result


def exported_run(artifacts: Path) -> RunResult:
    """A run that happened elsewhere: its exported variables and the errors it recorded."""
    recorded = artifacts / RUN_FILE
    errors = json.loads(recorded.read_text(encoding="utf-8")) if recorded.is_file() else {}
    return RunResult(
        artifacts=artifacts,
        cell_errors=[CellError(**e) for e in errors.get("cell_errors", [])],
        error=errors.get("error"),
    )


@pytest.fixture(scope="module")
def submission(exercise: Exercise, run: RunResult) -> Submission:
    return Submission(exercise, run)


@pytest.fixture(scope="module")
def thresholds(exercise: Exercise) -> dict[str, float]:
    return exercise.thresholds


def is_pending(item: pytest.Item) -> bool:
    """Whether a check is on held-out data that is not here (the learner package)."""
    try:
        hidden = _exercise(item.module).hidden
    except (AttributeError, CourseError):
        return False
    return item.name.removeprefix("test_") in hidden and not heldout_available()


class Gradebook:
    """Collects one CheckResult per test and builds the Result."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.checks: dict[str, CheckResult] = {}
        self.exercise: Exercise | None = None
        self.run: RunResult | None = None
        self.failure: str | None = None  # how the grader itself failed, if it did

    def record_run(self, run: RunResult) -> None:
        self.run = run

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        take_measured()  # what an earlier check measured is not this check's
        if is_pending(item):
            pytest.skip(PENDING)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        if report.when == "teardown" or not item.name.startswith("test_"):
            return
        if report.when == "setup" and report.passed:
            return
        if report.when == "setup" and report.failed and call.excinfo is not None:
            self.failure = self.failure or f"{call.excinfo.typename}: {call.excinfo.value}"
        try:
            self.exercise = _exercise(item.module)
        except (AttributeError, CourseError) as exc:
            self.failure = f"{item.nodeid}: {exc}"
            return
        name = item.name.removeprefix("test_")
        max_points = self.exercise.checks.get(name, 0.0)
        if report.skipped and is_pending(item):
            self.checks[name] = CheckResult(name, False, 0.0, max_points, PENDING_FEEDBACK, pending=True)
            return
        passed = report.passed
        measured = ""
        if passed:
            feedback = take_measured() or "This check passed."
        elif call.excinfo is not None and isinstance(call.excinfo.value, CheckFailed):
            feedback, measured = str(call.excinfo.value), call.excinfo.value.measured
        elif call.excinfo is not None and isinstance(call.excinfo.value, MemoryError):
            feedback = OUT_OF_MEMORY.format(load_course().checks_mb)
        elif call.excinfo is not None and isinstance(call.excinfo.value, AssertionError):
            feedback = str(call.excinfo.value).split("\nassert")[0].strip() or "check failed"
        elif call.excinfo is not None:
            exc = call.excinfo.value
            feedback = f"The grader could not finish this check ({type(exc).__name__}: {exc})."
        else:
            feedback = "check failed"
        self.checks[name] = CheckResult(
            name=name,
            passed=passed,
            points=max_points if passed else 0.0,
            max_points=max_points,
            feedback=feedback,
            measured=measured,
        )

    def result(self) -> Result:
        exercise = self.exercise
        assert exercise is not None, "no grader test ran"
        checks = [
            self.checks.get(name) or CheckResult(name, False, 0.0, points, "This check did not run.")
            for name, points in exercise.checks.items()
        ]
        run = self.run
        failed = f"{GRADER_FAILED} ({' '.join(self.failure.splitlines())[:300]})" if self.failure else None
        return Result(
            learner=self.config.getoption("--learner"),
            exercise=exercise.id,
            score=float(sum(c.points for c in checks)),
            max_score=exercise.max_score,
            error=failed or (run.error if run else None),
            checks=checks,
            cell_errors=[e.describe() for e in run.cell_errors] if run else [],
            isolation=run.isolation if run else "none",
            grader_error=failed is not None,
        )

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        target = self.config.getoption("--grade-json")
        if target and self.exercise is not None:
            write_atomic(Path(target), to_json([self.result()]))

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.exercise is not None:
            terminalreporter.write_sep("=", "keras-course")
            terminalreporter.write_line(checklist(self.result()))
