"""`make mutate` is wired to the grading logic and the fast tests, checked without running mutmut.

pyproject.toml [tool.mutmut] names the files mutmut mutates (below src/, which `make mutate`
links to graders/) and the tests it runs against each mutant; the Makefile runs it outside
`make test`.
"""

from __future__ import annotations

import fnmatch
import re

import pytest
from keras_course.course.config import tomllib
from keras_course.course.paths import GRADERS, ROOT

MUTMUT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
GRADING_LOGIC = {
    "keras_course/checks/shared.py",
    "keras_course/checks/metrics.py",
    "keras_course/artifacts/saved_model.py",
} | {path.name for path in GRADERS.glob("test_*.py")}


def test_mutmut_mutates_exactly_the_grading_logic():
    assert MUTMUT["source_paths"] == ["src"]
    sources = [path.relative_to(GRADERS).as_posix() for path in GRADERS.rglob("*.py")]
    mutated = {s for s in sources if any(fnmatch.fnmatch(f"src/{s}", p) for p in MUTMUT["only_mutate"])}
    assert mutated == GRADING_LOGIC


class Collected:
    def __init__(self) -> None:
        self.items: list[pytest.Item] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.items = list(session.items)


def test_mutmut_runs_the_fast_tests_of_the_grading_logic(monkeypatch):
    collected = Collected()
    monkeypatch.chdir(ROOT)
    args = ["--collect-only", "-q", "-p", "no:cacheprovider", f"--rootdir={ROOT}"]
    assert pytest.main(args + MUTMUT["pytest_add_cli_args_test_selection"], plugins=[collected]) == 0
    files = {item.path.name for item in collected.items}
    assert files == {"test_verdicts.py", "test_saved_model.py", "test_grading.py"}
    slow = [
        i.nodeid for i in collected.items if {"notebook", "training"} & {m.name for m in i.iter_markers()}
    ]
    assert slow == []
    assert not [i.nodeid for i in collected.items if "trains_long" in i.name]
    assert len(collected.items) > 100


def test_make_mutate_is_not_part_of_make_test():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^mutate: ", makefile, flags=re.MULTILINE)
    assert re.search(r"mutmut run --max-children [12]\b", makefile)
    assert "mutate" not in re.search(r"^test: (.*)$", makefile, flags=re.MULTILINE).group(1)
