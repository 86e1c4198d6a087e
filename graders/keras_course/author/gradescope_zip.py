"""`keras-course gradescope OUT/`: a Gradescope autograder zip for each assignment of course.toml.

Gradescope has one autograder per assignment. Each zip follows its autograder specification,
setup.sh and run_autograder at the zip's root, and carries what grading needs that the image
does not have:

- the learner wheel, built from this checkout as `make dist` builds it (or the one given): the
  package, course.toml and the graders;
- `datasets/`: the notebooks' data files and the held-out sets (`heldout/`), which the wheel
  does not hold; the grader reads them through KERAS_COURSE_DATASETS;
- `cache/`: the UCI banknotes as the grader caches them, so that no submission downloads them.

setup.sh runs once, as root, when Gradescope builds the image (Ubuntu 22.04): apt-get installs
Python's venv and pip, bubblewrap and util-linux; pip installs the wheel, TensorFlow with it,
into a virtual environment of its own; and it makes the user that runs learner code where the
container does not let bubblewrap run (Gradescope's best practices). No conda, no browser.
run_autograder runs `python -m keras_course.autograder` for each submission (autograder.py), and
writes a results.json of its own when Python wrote none. The held-out data stays in
/autograder/source, which the autograder closes to every user but root before learner code runs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from keras_course.course.config import Course, load_course
from keras_course.course.data import BANKNOTES_FILE, data_files
from keras_course.course.errors import CourseError
from keras_course.course.paths import HELDOUT, ROOT, USER_CACHE, instructor_only
from keras_course.grade.gradescope_submission import needed_memory_mb, needed_minutes

VENV = "/opt/keras-course"  # where setup.sh installs the package, outside /autograder
RUN_AS = "kcstudent"  # the user setup.sh makes for learner code where bubblewrap cannot run
MOST_MINUTES = 40  # the longest timeout Gradescope allows
EXECUTABLE = 0o100755 << 16  # a zip entry's mode (external attributes): a regular file, rwxr-xr-x
WHEEL_LOCK = ROOT / ".cache" / "wheel-build.lock"  # one build at a time: setuptools uses build/


@dataclass(frozen=True)
class Autograder:
    """One zip written, the Autograder Settings it needs on Gradescope, and the minutes its
    notebooks may need (more than `minutes` where Gradescope allows less, or less was asked for)."""

    path: Path
    minutes: int
    memory_mb: float
    needed_minutes: int


def write_autograders(
    folder: Path, wheel: Path | None = None, minutes: int | None = None
) -> list[Autograder]:
    """A zip per assignment in folder, each with the wheel (built here when none is given) and
    the data; minutes is the timeout its Autograder Settings give (default: what the course's
    limits need)."""
    instructor_only(HELDOUT, "keras-course gradescope")
    course = load_course()
    data = data_files().files
    if not any(name.startswith("mirror/") for name in data):
        raise CourseError("the UCI banknotes are not at hand to put into the zips: run make data first")
    if wheel is not None and not wheel.is_file():
        raise CourseError(f"{wheel}: no such wheel")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kc-wheel-") as built:
        wheel = wheel or build_wheel(Path(built))
        return [write_zip(folder, course, name, wheel, data, minutes) for name in course.assignments]


def write_zip(
    folder: Path, course: Course, assignment: str, wheel: Path, data: dict[str, bytes], minutes: int | None
) -> Autograder:
    """The zip of one assignment: the two scripts, the wheel, the data sets and the banknotes."""
    need = needed_minutes(course, len(course.assignment_exercises(assignment)))
    minutes = minutes or min(max(need, 10), MOST_MINUTES)
    path = folder / f"{assignment}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        executable("setup.sh", setup_script(wheel.name), archive)
        executable("run_autograder", run_script(assignment, minutes), archive)
        archive.write(wheel, wheel.name)
        for name, content in sorted(data.items()):
            archive.writestr(in_zip(name), content)
    return Autograder(path, minutes, needed_memory_mb(course), need)


def in_zip(name: str) -> str:
    """Where a data file of data_files goes: datasets/ as it is; the banknotes into the cache."""
    if name.startswith("mirror/"):
        return f"cache/{USER_CACHE.name}/datasets/{BANKNOTES_FILE}"
    return name


def executable(name: str, text: str, archive: zipfile.ZipFile) -> None:
    entry = zipfile.ZipInfo(name, time.localtime()[:6])
    entry.external_attr = EXECUTABLE
    entry.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(entry, text)


def build_wheel(out_dir: Path) -> Path:
    """The learner wheel built from this checkout as `make dist` builds it (uv), else with pip."""
    import fcntl

    uv = Path(sys.executable).with_name("uv")
    uv_command = str(uv) if uv.exists() else shutil.which("uv")
    command = [uv_command, "build", "--wheel", "--out-dir", str(out_dir)] if uv_command else None
    command = command or [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out_dir), str(ROOT)]
    WHEEL_LOCK.parent.mkdir(exist_ok=True)
    with open(WHEEL_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        shutil.rmtree(ROOT / "build", ignore_errors=True)  # setuptools would reuse an old build's
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        shutil.rmtree(ROOT / "build", ignore_errors=True)
    wheels = sorted(out_dir.glob("keras_course-*.whl"))
    if done.returncode != 0 or not wheels:
        last = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise CourseError(f"the learner wheel could not be built ({last}): run make dist and give --wheel")
    return wheels[-1]


SETUP = """#!/usr/bin/env bash
# keras-course: Gradescope runs this once, as root, when it builds the autograder's image
# (Ubuntu 22.04), from /autograder/source, where the zip is unpacked.
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")" && pwd)"
export DEBIAN_FRONTEND=noninteractive
# Python's venv and pip; bubblewrap, the sandbox, where the container lets it run; util-linux's
# setpriv and prlimit; libseccomp, the sandbox's system-call filter.
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip bubblewrap util-linux libseccomp2 adduser
# The package and what it needs (TensorFlow, Keras, Jupyter) from PyPI, with pip, in a venv.
python3 -m venv {venv}
{venv}/bin/python -m pip install --quiet --no-cache-dir --upgrade pip
{venv}/bin/python -m pip install --quiet --no-cache-dir "$SOURCE/{wheel}"
# The user that runs learner code where bubblewrap cannot (Gradescope's best practices); the
# autograder closes /autograder/source, with the held-out data, to it.
id -u {user} >/dev/null 2>&1 || adduser {user} --no-create-home --disabled-password --gecos ""
"""


def setup_script(wheel: str) -> str:
    return SETUP.format(venv=VENV, wheel=wheel, user=RUN_AS)


RUN = """#!/usr/bin/env bash
# keras-course: Gradescope runs this, as root, for each submission. It grades
# $ROOT/submission and always leaves $ROOT/results/results.json.
ROOT="${{KERAS_COURSE_AUTOGRADER_ROOT:-/autograder}}"
RESULTS="$ROOT/results/results.json"
PYTHON="${{KERAS_COURSE_PYTHON:-{venv}/bin/python}}"
export KERAS_COURSE_AUTOGRADER_ROOT="$ROOT"
export KERAS_COURSE_DATASETS="$ROOT/source/datasets"
export KERAS_COURSE_RUN_AS="${{KERAS_COURSE_RUN_AS:-{user}}}"
export XDG_CACHE_HOME="$ROOT/source/cache"
HOMES="$ROOT/source/.home"
export KERAS_HOME="$HOMES/keras" MPLCONFIGDIR="$HOMES/matplotlib" IPYTHONDIR="$HOMES/ipython"
export JUPYTER_CONFIG_DIR="$HOMES/jupyter" JUPYTER_DATA_DIR="$HOMES/jupyter-data"
export JUPYTER_RUNTIME_DIR="$HOMES/jupyter-runtime"
export TF_CPP_MIN_LOG_LEVEL=3 PYTHONWARNINGS=ignore MPLBACKEND=Agg
mkdir -p "$ROOT/results"
rm -f "$RESULTS"
"$PYTHON" -m keras_course.autograder --assignment {assignment} --minutes {minutes}
if [ ! -s "$RESULTS" ]; then
  # Python wrote no results: the install is broken, or it was killed. Say so all the same.
  cat > "$RESULTS" <<'EOF'
{failed}
EOF
fi
"""
NO_PYTHON = (
    '{"score": 0.0, "tests": [], "output": "Not graded: the autograder could not run (see its output, '
    "which your instructor sees). This is the autograder's fault, not your notebook's: ask your "
    'instructor to run it again."}'
)


def run_script(assignment: str, minutes: int) -> str:
    return RUN.format(venv=VENV, user=RUN_AS, assignment=assignment, minutes=minutes, failed=NO_PYTHON)
