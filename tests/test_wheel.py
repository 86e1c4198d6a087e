"""The learner wheel (`make dist`): it carries the course's learner files as package data, the
same bytes as the repository's, and an unpacked copy finds them there, outside the repository.
It holds no solution, no held-out row and nothing to rebuild them from (leaks.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from keras_course.course.config import load_course
from keras_course.course.paths import ROOT
from leaks import leaks
from packaging_tools import build_wheel, wheel_texts

COURSE = load_course()
PACKAGE_DATA = "keras_course/material/"


def learner_files() -> set[str]:
    """What the learner package must hold of the repository, by path in the repository."""
    data = {name for exercise in COURSE.exercises.values() for name in exercise.data}
    data.discard("banknotes.csv")  # downloaded on first use; its rows are in banknotes_rows.txt
    return {
        "course.toml",
        "graders/conftest.py",
        "datasets/banknotes_rows.txt",
        *(f"datasets/{name}" for name in data),
        *(f"graders/test_{exercise_id}.py" for exercise_id in COURSE.exercises),
        *(f"exercises/{exercise_id}.ipynb" for exercise_id in COURSE.exercises),
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("dist"))


def test_the_wheel_holds_the_learner_files_as_the_repository_has_them(wheel):
    files = wheel_texts(wheel)
    packaged = {
        name.removeprefix(PACKAGE_DATA): text for name, text in files.items() if name.startswith(PACKAGE_DATA)
    }
    assert set(packaged) == learner_files()
    for name, text in packaged.items():
        assert text == (ROOT / name).read_bytes(), f"the wheel's {name} differs from the repository's"
    modules = {
        name for name in files if name.startswith("keras_course/") and not name.startswith(PACKAGE_DATA)
    }
    package = ROOT / "graders" / "keras_course"
    templates = (package / "report" / "templates").iterdir()  # the HTML reports'
    shipped = [*package.rglob("*.py"), *templates]
    assert modules == {f"keras_course/{p.relative_to(package).as_posix()}" for p in shipped}


def test_the_wheel_holds_no_tool_a_learner_does_not_run(wheel):
    """The benchmarks, the calibration, the mutation score and the samples stay in tools/ and
    samples/ of the repository."""
    tools = {p.stem for p in (ROOT / "tools").glob("*.py")}
    assert {"bench", "bench_isolation", "calibrate", "mutation_score"} <= tools
    shipped = {Path(name).stem for name in wheel_texts(wheel)}
    assert tools & shipped == set()
    assert not [name for name in wheel_texts(wheel) if "/samples/" in name or name.startswith("samples/")]


def test_the_wheel_holds_no_solution_no_held_out_row_and_no_seed(wheel):
    assert leaks(wheel_texts(wheel)) == []


def test_the_scan_finds_what_it_looks_for():
    """The scan of the test above, on files that do hold each kind of leak."""
    from keras_course.course.paths import HELDOUT, SOLUTIONS

    planted = {
        "keras_course/material/solutions/darts.ipynb": (SOLUTIONS / "darts.ipynb").read_bytes(),
        "keras_course/material/datasets/heldout/darts.csv": (HELDOUT / "darts.csv").read_bytes(),
        "keras_course/material/exercises/hello_nets.ipynb": (SOLUTIONS / "hello_nets.ipynb").read_bytes(),
        "keras_course/rows.txt": (HELDOUT / "irrigation_machine.csv").read_bytes().splitlines()[7],
        "keras_course/generate.py": (ROOT / "datasets" / "generate.py").read_bytes(),
        "keras_course/material/model.keras": b"",
    }
    found = "\n".join(leaks(planted))
    for name in planted:
        assert name in found
    for kind in (
        "instructor's copy",
        "a saved model",
        "solution marker",
        "an answer",
        "held-out row",
        "seed",
    ):
        assert kind in found


@pytest.fixture(scope="module")
def unpacked(wheel, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(folder)
    return folder


def run_unpacked(unpacked: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """python with only the unpacked wheel's keras_course on the path (the dependencies are this
    environment's), in a folder outside the repository."""
    env = dict(os.environ, PYTHONPATH=str(unpacked), XDG_CACHE_HOME=str(cwd / "cache"))
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def test_an_unpacked_wheel_finds_the_course_in_its_package_data(unpacked, tmp_path):
    code = "from keras_course.course import paths; print(paths.INSTALLED, paths.ROOT, paths.CACHE)"
    out = run_unpacked(unpacked, tmp_path, "-c", code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [
        "True",
        str(unpacked / "keras_course" / "material"),
        str(tmp_path / "cache" / "keras-course"),
    ]
    listed = run_unpacked(unpacked, tmp_path, "-m", "keras_course", "list")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == list(COURSE.exercises)


def test_an_unpacked_wheel_writes_the_same_data_files_as_the_repository(unpacked, tmp_path):
    out = run_unpacked(unpacked, tmp_path, "-m", "keras_course", "data", "here")
    assert out.returncode == 0, out.stderr
    reference = tmp_path / "reference"
    reference.mkdir()
    from keras_course.course import data

    for name in ("banknotes.csv", "darts.csv", "irrigation_machine.csv"):
        assert (tmp_path / "here" / name).read_bytes() == data.write_learner_file(
            name, reference
        ).read_bytes()
    assert (tmp_path / "cache" / "keras-course" / "datasets" / data.BANKNOTES_FILE).is_file()


@pytest.mark.parametrize(
    ("command", "what"),
    [(["stubs"], "making stubs"), (["nbgrader", "course"], "the nbgrader course"), (["demo"], "the demo")],
)
def test_instructor_commands_say_they_need_the_repository(unpacked, tmp_path, command, what):
    out = run_unpacked(unpacked, tmp_path, "-m", "keras_course", *command)
    assert out.returncode == 2
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith(f"keras-course: error: {what} needs the instructor's copy of the course")
    assert not (tmp_path / "course").exists()
