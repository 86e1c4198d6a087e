"""No vacuous pass on values: every value check passes on the reference's values and fails on
each kind of bad value, with a message that names the variable and comes from its named branch.

value_cases.py finds the value checks in the graders and makes the values. Each case exports the
reference's variables once per exercise, puts the bad value in, as a notebook's export would
write it, and calls the check itself on the export, in this process: no notebook runs and no
model trains.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import shutil
import sys
from functools import cache
from pathlib import Path

import pytest
from branches import assert_branches_reached, branch_of
from keras_course.checks.feedback import CheckFailed, take_measured
from keras_course.checks.submission import Submission
from keras_course.course.config import load_course
from keras_course.course.paths import GRADERS
from keras_course.grade.notebook_checks import export_run
from keras_course.run.inside.kernel_cells import MANIFEST
from keras_course.run.outcome import RUN_FILE, RunResult
from value_cases import (
    EXTRA,
    KINDS,
    NO_TEST_DATA,
    REFERENCES,
    SHRUNK,
    case_ids,
    expected_branch,
    fix_of,
    value_checks,
)

COURSE = load_course()


CASES = case_ids()


@cache
def grader(exercise: str):
    """The exercise's grader module, by the name pytest and mutmut give it (test_<id>, from
    graders/): under mutmut, the name by which its mutants are switched on."""
    if str(GRADERS) not in sys.path:
        sys.path.append(str(GRADERS))
    return importlib.import_module(f"test_{exercise}")


def fix_sentence(exercise: str, check: str, variable: str) -> str:
    """The fix the check hands the reader of variable, as the grader spells it ("" if none)."""
    expression = fix_of(exercise, check, variable)
    if expression is None:
        return ""
    return str(eval(compile(ast.Expression(expression), "<fix>", "eval"), vars(grader(exercise))))


def check_message(exercise: str, check: str, artifacts: Path) -> str | None:
    """What the check says about the export in artifacts: its message when it fails, None when it
    passes."""
    function = getattr(grader(exercise), f"test_{check}")
    submission = Submission(COURSE.exercise(exercise), RunResult(artifacts=artifacts))
    arguments = {"submission": submission, "thresholds": COURSE.exercise(exercise).thresholds}
    try:
        function(*(arguments[name] for name in inspect.signature(function).parameters))
    except CheckFailed as failed:
        return str(failed)
    return None


class References:
    """Each exercise's reference variables, made and exported once for the module."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.made: dict[str, tuple[dict, Path]] = {}

    def of(self, exercise: str) -> tuple[dict, Path]:
        if exercise not in self.made:
            namespace = REFERENCES[exercise]()
            export_run(tuple(namespace), namespace, self.folder / exercise, [])
            self.made[exercise] = namespace, self.folder / exercise
        return self.made[exercise]


@pytest.fixture(scope="module")
def references(tmp_path_factory) -> References:
    return References(tmp_path_factory.mktemp("references"))


def export_with(reference: Path, changes: dict, target: Path) -> Path:
    """The reference's export with the changed variables exported in their place, as a notebook
    that held them would have exported them."""
    shutil.copytree(reference, target)
    changed = target.parent / f"{target.name}-changed"
    export_run(tuple(changes), changes, changed, [])
    manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    manifest.update(json.loads((changed / MANIFEST).read_text(encoding="utf-8")))
    for path in changed.iterdir():
        if path.name not in (MANIFEST, RUN_FILE):
            shutil.copyfile(path, target / path.name)
    (target / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return target


def test_every_value_check_has_a_reference_a_shrunk_test_set_and_expected_messages():
    assert value_checks(), "no grader reads a value"
    missing = []
    for exercise, check in value_checks():
        if exercise not in REFERENCES:
            missing.append(f"{exercise}: no reference values in value_cases.REFERENCES")
        if ((exercise, check) in SHRUNK) == ((exercise, check) in NO_TEST_DATA):
            missing.append(f"{exercise} {check}: in exactly one of value_cases.SHRUNK and NO_TEST_DATA")
    missing += [
        f"{case}: no expected branch in value_cases (TOO_FEW, NOT_A_NUMBER, GENERIC)"
        for case in CASES
        if expected_branch(case) is None
    ]
    assert missing == []


@pytest.mark.parametrize("exercise, check", list(value_checks()), ids=[f"{e}/{c}" for e, c in value_checks()])
def test_a_value_check_passes_on_the_references_values(references, exercise, check):
    namespace, export = references.of(exercise)
    assert set(value_checks()[(exercise, check)]) <= set(namespace)
    take_measured()
    assert check_message(exercise, check, export) is None
    assert take_measured(), f"{check} passed without saying what it measured"


@pytest.mark.parametrize("case", CASES)
def test_a_value_check_fails_on_a_bad_value_and_names_it(references, tmp_path, case):
    exercise, check, *rest = case.split("/")
    namespace, export = references.of(exercise)
    if rest == ["shrunk"]:
        shrink, variable = SHRUNK[(exercise, check)]
        changes = shrink(namespace)
    else:
        variable, kind = rest
        changes = {variable: KINDS[kind](namespace[variable])}
    message = check_message(exercise, check, export_with(export, changes, tmp_path / "export"))
    assert message is not None, f"{check} passed on {case}"
    assert f"`{variable}" in message, message
    file, function, start = expected_branch(case) or ("", "", "")
    branch = branch_of(file, function, start)
    assert branch.matches(message), message
    if branch.parts[-1] is None:  # a message that ends with what the check handed it: the fix
        assert message.endswith(fix_sentence(exercise, check, variable)), message
    assert_branches_reached(f"value:{case}", {None: message})


@pytest.mark.parametrize("name", list(EXTRA))
def test_a_value_check_fails_on_a_realistic_bad_value_with_its_message(references, tmp_path, name):
    exercise, check, change, message = EXTRA[name]
    namespace, export = references.of(exercise)
    assert (
        check_message(exercise, check, export_with(export, change(namespace), tmp_path / "export")) == message
    )
    assert_branches_reached(f"value:{name}", {None: message})
