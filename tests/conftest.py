"""Shared settings for the test suite: the data mirror, quiet TensorFlow, and the order of the runs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
MIRROR = HERE.parent.parent / "shared" / "datasets"
if "KERAS_COURSE_DATA_MIRROR" not in os.environ and MIRROR.is_dir():
    os.environ["KERAS_COURSE_DATA_MIRROR"] = str(MIRROR)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")  # run_here.py draws the notebooks' plots here


class LearnerVenv:
    """The learner venv (learner_env.py), built in a background thread from the moment a test asks
    for it; path() waits for it. The walk-through meanwhile makes and releases its course."""

    def __init__(self, shared: Path) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(max_workers=1)
        self._built = self._pool.submit(self._build, shared)

    @staticmethod
    def _build(shared: Path) -> Path:
        """Build it once for the whole run: the first test process to ask builds it under a lock
        in the run's shared temporary folder; the other waits for it and uses it."""
        import fcntl

        from learner_env import make_venv
        from packaging_tools import build_wheel

        venv, built = shared / "learner-venv", shared / "learner-venv.built"
        with open(shared / "learner-venv.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not built.exists():
                make_venv(build_wheel(shared / "learner-dist"), venv)
                built.touch()
        return venv

    def path(self) -> Path:
        return self._built.result()


@pytest.fixture(scope="session")
def learner_venv(tmp_path_factory, worker_id) -> LearnerVenv:
    """A fresh virtual environment with only the learner wheel installed, as `make dist` builds
    it, shared by test_learner_install.py and test_nbgrader.py's learners, on either worker."""
    base = tmp_path_factory.getbasetemp()
    return LearnerVenv(base.parent if worker_id != "master" else base)  # xdist: a folder per worker


def failed_checks(result) -> set[str]:
    return {c.name for c in result.checks if not c.passed}


# The longest runs start first, so that both workers end together. test_learner_install.py is
# not among them: it shares the learner venv that the walk-through builds at its start, and
# would only wait for it there.
FIRST = {
    "test_nbgrader.py": 0,
    "test_hostile.py": 1,
    "test_batch_resume.py": 2,
    "test_grading.py": 3,
}


# Under mutmut (`make mutate`), which runs a mutant's tests with -x, the cheapest tests run first,
# so that a killed mutant costs its first failing test only: test_saved_model.py and test_bounds.py
# read models, test_values.py and test_verdicts.py grade variables they set, test_grading.py runs
# whole notebooks.
CHEAPEST = ["test_saved_model.py", "test_bounds.py", "test_values.py", "test_verdicts.py", "test_grading.py"]
CHEAPEST_FIRST = {name: rank for rank, name in enumerate(CHEAPEST)}


def pytest_collection_modifyitems(items):
    if "__mutmut_" in os.environ.get("MUTANT_UNDER_TEST", ""):
        items.sort(key=lambda item: CHEAPEST_FIRST.get(item.path.name, len(CHEAPEST_FIRST)))
    else:
        items.sort(key=lambda item: FIRST.get(item.path.name, len(FIRST)))
