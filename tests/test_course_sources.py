"""One source of truth: course.toml matches the graders; stubs and samples match their sources."""

from __future__ import annotations

import ast

import nbformat
import pytest
from keras_course.author.stubs import stub_text
from keras_course.course.config import load_course, parse_course
from keras_course.course.errors import CourseError
from keras_course.course.paths import COURSE_TOML, EXERCISES, SOLUTIONS, grader_file

from samples import sample_texts

COURSE = load_course()


def grader_tests(exercise_id: str) -> list[str]:
    tree = ast.parse(grader_file(exercise_id).read_text(encoding="utf-8"))
    return [
        node.name.removeprefix("test_")
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    ]


@pytest.mark.parametrize("exercise_id", list(COURSE.exercises))
def test_course_toml_lists_exactly_the_grader_checks(exercise_id):
    assert list(COURSE.exercise(exercise_id).checks) == grader_tests(exercise_id)


@pytest.mark.parametrize("exercise_id", list(COURSE.exercises))
def test_every_check_has_points_and_a_description(exercise_id):
    exercise = COURSE.exercise(exercise_id)
    assert all(points > 0 for points in exercise.checks.values())
    tree = ast.parse(grader_file(exercise_id).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            assert ast.get_docstring(node), (
                f"{node.name} needs a docstring: it names the check in the nbgrader notebooks"
            )


def test_thresholds_are_set_for_every_held_out_check():
    for exercise in COURSE.exercises.values():
        for name in ("heldout_accuracy", "trained_loss", "twenty_min_orbit"):
            if name in exercise.checks:
                assert exercise.thresholds.get(name, 0) > 0, f"{exercise.id}: {name}"


@pytest.mark.parametrize("exercise_id", list(COURSE.exercises))
def test_committed_stub_is_generated_from_its_source(exercise_id):
    committed = (EXERCISES / f"{exercise_id}.ipynb").read_text(encoding="utf-8")
    assert committed == stub_text(exercise_id), "run `make stubs` and commit exercises/"


@pytest.mark.parametrize("exercise_id", list(COURSE.exercises))
def test_stub_keeps_instructions_and_drops_answers(exercise_id):
    source = nbformat.read(SOLUTIONS / f"{exercise_id}.ipynb", as_version=4)
    stub = nbformat.reads(stub_text(exercise_id), as_version=4)
    cells = [c for c in stub.cells if not c.id.startswith("colab-")]
    for before, after in zip(source.cells, cells, strict=True):
        if "### BEGIN SOLUTION" not in before.source:
            assert after.source == before.source
            continue
        assert "BEGIN SOLUTION" not in after.source
        assert "raise NotImplementedError()" in after.source
        for line in before.source.splitlines():
            if line.startswith("# "):
                assert line in after.source.splitlines(), f"instruction lost: {line}"


@pytest.mark.parametrize("exercise_id", list(COURSE.exercises))
def test_stub_opens_in_colab_and_installs_keras_course_there_only(exercise_id):
    stub = nbformat.reads(stub_text(exercise_id), as_version=4)
    badge = stub.cells[0]
    url = COURSE.colab["notebook"].format(id=exercise_id)
    assert badge.cell_type == "markdown" and badge.source.startswith("[![Open In Colab](")
    assert badge.source.endswith(f"]({url})") and url.endswith(f"/{exercise_id}.ipynb")
    install = next(c for c in stub.cells if c.cell_type == "code")
    lines = install.source.splitlines()
    guard = lines.index('if "google.colab" in sys.modules:')
    assert all(line.startswith("    ") for line in lines[guard + 1 :])  # nothing runs outside Colab
    assert f'"--no-deps", "{COURSE.colab["install"]}"]' in install.source
    assert '"keras_course", "data", "."' in install.source
    namespace: dict = {}
    exec(install.source, namespace)  # here, not Colab: the guard is all that runs
    assert "subprocess" in namespace


def test_course_toml_without_colab_settings_is_a_one_line_error():
    text = COURSE_TOML.read_text(encoding="utf-8").replace('install = "keras-course"', "")
    with pytest.raises(CourseError, match=r"^course.toml: \[colab\] needs install$"):
        parse_course(text, "course.toml")


def test_samples_are_generated_from_the_solutions():
    for path, text in sample_texts().items():
        assert path.read_text(encoding="utf-8") == text, f"run `python tools/samples.py`: {path}"


def test_a_broken_course_toml_is_one_line_error():
    with pytest.raises(CourseError, match=r"^course.toml: not valid TOML"):
        parse_course("[exercises\n", "course.toml")
    assert COURSE_TOML.is_file()
