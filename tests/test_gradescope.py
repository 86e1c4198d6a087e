"""Gradescope: the autograder zips of `keras-course gradescope`, and the real run_autograder (the
shell script of the zip) grading a submission in a fake /autograder (KERAS_COURSE_AUTOGRADER_ROOT),
without Docker. Every results.json is checked against a strict schema written from Gradescope's
autograder specification: a correct, a wrong, a broken and a missing notebook, too little memory,
too little time, and the autograder's own failures.

What is not run here: setup.sh, which would install TensorFlow again. run_autograder runs with
this checkout's Python (KERAS_COURSE_PYTHON), and setup.sh is read: what it installs, and how.
Where bubblewrap cannot run, as in Gradescope's container, no_namespaces.py refuses it the
namespaces as Docker's seccomp profile does, and learner code runs as an unprivileged user of
its own (KERAS_COURSE_RUN_AS: a uid without an entry in /etc/passwd, so the machine is left as it
was).
"""

from __future__ import annotations

import html
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import jsonschema
import pytest
from keras_course.course.config import load_course
from keras_course.course.paths import ROOT, SOLUTIONS
from keras_course.grade.gradescope_submission import GRADER_MB
from keras_course.report.figure import Figure
from keras_course.report.gradescope import results_json
from keras_course.report.results import CheckResult, Result
from keras_course.report.section import Section
from mistakes import HIDDEN_2, MISTAKES, Variant

pytestmark = pytest.mark.notebook
COURSE = load_course()
HERE = Path(__file__).resolve().parent
RUN_AS = "61999"  # learner code's user where bubblewrap cannot run: no such user on this machine

FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
CHECK_DATA = {  # extra_data of a check's test: the exercise, the check, what it measured
    "type": "object",
    "additionalProperties": False,
    "required": ["exercise", "check", "measured"],
    "properties": {
        "exercise": {"type": "string"},
        "check": {"type": "string"},
        "measured": {"type": "string"},
    },
}
TEST = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "score": {"type": "number"},
        "max_score": {"type": "number", "minimum": 0},
        "status": {"enum": ["passed", "failed"]},
        "name": {"type": "string"},
        "name_format": FORMAT,
        "number": {"type": "string"},
        "output": {"type": "string"},
        "output_format": FORMAT,
        "tags": {"type": "array", "items": {"type": "string"}},
        "visibility": VISIBILITY,
        "extra_data": CHECK_DATA,
    },
}
LEADER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "value"],
    "properties": {
        "name": {"type": "string"},
        "value": {"type": ["number", "string"]},
        "order": {"enum": ["asc", "desc"]},
    },
}
SCHEMA = {  # https://gradescope-autograders.readthedocs.io/en/latest/specs/#output-format
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "integer", "minimum": 0},
        "output": {"type": "string"},
        "output_format": FORMAT,
        "test_output_format": FORMAT,
        "test_name_format": FORMAT,
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "assignment": {"type": "string"},
                "isolation": {"enum": ["sandbox", "user", "none"]},
            },
        },
        "tests": {"type": "array", "items": TEST},
        "leaderboard": {"type": "array", "items": LEADER},
    },
    # a score at the top, or one on each test
    "anyOf": [
        {"required": ["score"]},
        {"required": ["tests"], "properties": {"tests": {"items": {"required": ["score"]}}}},
    ],
}


def valid(results: dict) -> dict:
    """results, once checked against the schema, and against what the autograder never does: a
    test hidden from the learner (hidden, after_published), or two tests of one number."""
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(results, SCHEMA, cls=jsonschema.Draft202012Validator)
    tests = results.get("tests", [])
    assert [t for t in tests if t.get("visibility") in ("hidden", "after_published")] == []
    numbers = [t["number"] for t in tests if "number" in t]
    assert len(numbers) == len(set(numbers))
    return results


@pytest.fixture(scope="module")
def zips(tmp_path_factory) -> Path:
    """`keras-course gradescope OUT` once for the module: it builds the wheel from this checkout."""
    out = tmp_path_factory.mktemp("gradescope")
    done = subprocess.run(
        [sys.executable, "-m", "keras_course", "gradescope", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("wrote ") == len(COURSE.assignments)
    return out


@pytest.fixture
def fake_root(zips):
    """A new /autograder for an assignment's zip, as Gradescope lays it out: the zip unpacked in
    source/, run_autograder copied beside it, an empty submission/; open to all, as / is."""
    roots = []

    def make(assignment: str) -> Path:
        root = Path(tempfile.mkdtemp(prefix="kc-gs-"))
        roots.append(root)
        root.chmod(0o755)
        with zipfile.ZipFile(zips / f"{assignment}.zip") as archive:
            for entry in archive.infolist():
                archive.extract(entry, root / "source")
                mode = entry.external_attr >> 16 & 0o777
                (root / "source" / entry.filename).chmod(mode or 0o644)
        shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
        (root / "submission").mkdir()
        return root

    yield make
    for root in roots:
        shutil.rmtree(root, ignore_errors=True)


def run_autograder(root: Path, *wrapper: str, **env: str) -> dict:
    """Run the real run_autograder in root, as Gradescope does (in root, as root), with this
    checkout's Python; its results.json, checked against the schema."""
    environment = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "KERAS_COURSE_AUTOGRADER_ROOT": str(root),
        "KERAS_COURSE_PYTHON": sys.executable,
        "KERAS_COURSE_RUN_AS": RUN_AS,
        "KERAS_COURSE_CONTAINER_MEMORY_MB": "8192",
        **env,
    }
    done = subprocess.run([*wrapper, str(root / "run_autograder")], cwd=root, env=environment, timeout=300)
    assert done.returncode == 0
    return valid(json.loads((root / "results" / "results.json").read_text(encoding="utf-8")))


def checks_of(results: dict, exercise: str) -> dict[str, dict]:
    return {t["extra_data"]["check"]: t for t in results["tests"] if t["number"].startswith(f"{exercise}.")}


def part_of(html: str, exercise: str) -> str:
    """The part of the HTML report (the top-level output) about one exercise."""
    start = html.index(f'id="exercise-{exercise}"')
    return html[start : html.index("</section>", start)]


def hello_nets(variant: Variant | None = None) -> str:
    text = (SOLUTIONS / "hello_nets.ipynb").read_text(encoding="utf-8")
    return variant.apply(text) if variant else text


def snooping(root: Path) -> Variant:
    """The reference hello_nets, but its model comes out wrong if its code can read the held-out
    data in source/, or write into results/. The zip's data files are root's alone (0600): here
    the held-out file is open to all, so that only the closed source/ keeps it from the notebook."""
    secret = root / "source" / "datasets" / "heldout" / "darts.csv"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    secret.chmod(0o644)
    (root / "results").mkdir(mode=0o777)
    (root / "results").chmod(0o777)
    planted = root / "results" / "planted"
    code = (
        "units = 10\n"
        f"for attempt in (lambda: open({str(secret)!r}).read(1), lambda: open({str(planted)!r}, 'w')):\n"
        "    try:\n"
        "        attempt()\n"
        "        units = 12  # the grader's files are within reach: the model comes out wrong\n"
        "    except OSError:\n"
        "        pass\n"
        f"{HIDDEN_2.replace('Dense(10', 'Dense(units')}"
    )
    return Variant("hello_nets", "snooping", ((HIDDEN_2, code),))


def test_each_assignment_has_a_zip_with_the_two_scripts_at_its_root_the_wheel_and_the_data(zips):
    for assignment in COURSE.assignments:
        with zipfile.ZipFile(zips / f"{assignment}.zip") as archive:
            entries = {e.filename: e for e in archive.infolist()}
            for script in ("setup.sh", "run_autograder"):
                assert stat.S_IMODE(entries[script].external_attr >> 16) == 0o755, script
            assert f"--assignment {assignment} " in archive.read("run_autograder").decode()
        wheels = [name for name in entries if name.endswith(".whl") and "/" not in name]
        assert wheels == ["keras_course-0.1.0-py3-none-any.whl"]
        assert {"datasets/heldout/darts.csv", "datasets/heldout/irrigation_machine.csv"} <= set(entries)
        assert "cache/keras-course/datasets/data_banknote_authentication.txt" in entries
        assert not [
            name for name in entries if name.startswith(("solutions/", "tests/")) or "generate" in name
        ]


def test_a_wheel_that_is_not_there_is_told_in_one_line(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "keras_course",
            "gradescope",
            str(tmp_path),
            "--wheel",
            str(tmp_path / "nope.whl"),
        ],
        capture_output=True,
        text=True,
    )
    assert (out.returncode, out.stderr) == (
        2,
        f"keras-course: error: {tmp_path / 'nope.whl'}: no such wheel\n",
    )
    assert list(tmp_path.iterdir()) == []


def test_setup_installs_the_wheel_with_pip_in_a_venv_makes_the_user_and_downloads_no_conda_or_browser(zips):
    """setup.sh is read, not run (it would install TensorFlow): what it installs and how; bash
    finds no syntax error in it nor in run_autograder."""
    with zipfile.ZipFile(zips / "introducing_keras.zip") as archive:
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
    commands = [line for line in setup.splitlines() if line and not line.startswith("#")]
    assert (
        "apt-get install -y -qq python3 python3-venv python3-pip bubblewrap util-linux libseccomp2 adduser"
        in commands
    )
    assert "python3 -m venv /opt/keras-course" in commands
    wheel = "keras_course-0.1.0-py3-none-any.whl"
    assert f'/opt/keras-course/bin/python -m pip install --quiet --no-cache-dir "$SOURCE/{wheel}"' in commands
    assert (
        'id -u kcstudent >/dev/null 2>&1 || adduser kcstudent --no-create-home --disabled-password --gecos ""'
        in commands
    )
    for word in ("conda", "mamba", "playwright", "chromium", "browser", "curl", "wget"):
        assert word not in setup.lower()
    assert 'KERAS_COURSE_RUN_AS="${KERAS_COURSE_RUN_AS:-kcstudent}"' in run
    for script in (setup, run):
        assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0


def test_a_correct_notebook_runs_as_its_own_user_where_bubblewrap_cannot_and_reads_nothing_of_the_grader(
    fake_root,
):
    """As in Gradescope's container: no namespaces, so no bubblewrap. The notebook tries to read
    the held-out data and to write into results/; it can do neither, so its model is right."""
    root = fake_root("introducing_keras")
    (root / "submission" / "hello_nets.ipynb").write_text(hello_nets(snooping(root)), encoding="utf-8")

    results = run_autograder(root, sys.executable, str(HERE / "no_namespaces.py"))

    hello = checks_of(results, "hello_nets")
    assert {name: t["status"] for name, t in hello.items()} == dict.fromkeys(
        COURSE.exercise("hello_nets").checks, "passed"
    )
    assert sum(t["score"] for t in hello.values()) == COURSE.exercise("hello_nets").max_score
    assert results["extra_data"] == {"assignment": "introducing_keras", "isolation": "user"}
    assert f"ran as an unprivileged user of their own ({RUN_AS})" in results["output"]
    assert not (root / "results" / "planted").exists()
    for closed in ("source", "results", "submission"):
        assert stat.S_IMODE((root / closed).stat().st_mode) & 0o007 == 0, closed
    assert checks_of(results, "counting_parameters")["layers"]["output"] == "Not submitted."
    assert "Not submitted" in part_of(results["output"], "build_as_shown")
    assert [t for t in results["tests"] if t["number"] in ("settings", "after_due_date")] == []


def test_a_wrong_notebook_in_the_sandbox_gets_each_checks_message_and_measured_value(fake_root):
    root = fake_root("introducing_keras")
    twelve = next(m for m in MISTAKES if m.exercise == "hello_nets" and m.name == "twelve_units")
    (root / "submission" / "Copy of hello_nets.ipynb").write_text(hello_nets(twelve), encoding="utf-8")
    (root / "submission" / "notes.txt").write_text("my notes", encoding="utf-8")

    results = run_autograder(root)

    hello = checks_of(results, "hello_nets")
    assert {name for name, t in hello.items() if t["status"] == "failed"} == twelve.fails
    assert hello["layers"] == {
        "number": "hello_nets.layers",
        "name": "Hello nets!: layers",
        "score": 0.0,
        "max_score": 1.0,
        "status": "failed",
        "output": hello["layers"]["output"],
        "output_format": "md",
        "visibility": "visible",
        "extra_data": {"exercise": "hello_nets", "check": "layers", "measured": "layer 1: 12 units"},
    }
    assert twelve.message in hello["layers"]["output"]
    report = part_of(results["output"], "hello_nets")  # the learner's HTML report, the model beside
    assert html.escape(twelve.message) in report and "2/4" in report  # the expected one
    assert "<td" in report and "12" in report and "differs" in report
    assert "Not graded: notes.txt: not a notebook (.ipynb)." in results["output"]
    assert results["extra_data"]["isolation"] == "sandbox"
    assert results["output_format"] == "html" and "score" not in results


def test_a_notebook_that_is_not_json_fails_every_check_with_one_line_that_says_why(fake_root):
    root = fake_root("introducing_keras")
    (root / "submission" / "hello_nets.ipynb").write_text("{not json", encoding="utf-8")

    results = run_autograder(root)

    hello = checks_of(results, "hello_nets")
    assert {t["status"] for t in hello.values()} == {"failed"}
    reasons = {t["output"] for t in hello.values()}
    assert len(reasons) == 1
    (reason,) = reasons
    assert "hello_nets.ipynb" in reason and "not" in reason and "\n" not in reason


def test_a_missing_notebook_and_the_held_out_checks_shown_after_the_due_date(fake_root):
    """An empty submission, then none at all: every check not submitted; the held-out check is
    after_due_date, and a visible test of no points says what it carries."""
    for remove in (False, True):
        root = fake_root("binary_classification")
        if remove:
            (root / "submission").rmdir()

        results = run_autograder(root)

        bills = checks_of(results, "dollar_bills")
        assert {t["output"] for t in bills.values()} == {"Not submitted."}
        assert {name: t["visibility"] for name, t in bills.items() if t["visibility"] != "visible"} == {
            "heldout_accuracy": "after_due_date"
        }
        (notice,) = [t for t in results["tests"] if t["number"] == "after_due_date"]
        assert notice["visibility"] == "visible" and notice["max_score"] == 0
        assert (
            "3 points are checked on data your model has never seen (dollar_bills: heldout_accuracy (3))"
            in (notice["output"])
        )
        assert "Not submitted" in part_of(results["output"], "dollar_bills")


def test_too_little_memory_is_a_failed_test_that_names_the_autograder_settings_and_nothing_runs(fake_root):
    """Gradescope's default container (768 MB): no notebook runs, the settings test says what to
    set; the runs above had enough (KERAS_COURSE_CONTAINER_MEMORY_MB=8192) and no such test."""
    root = fake_root("introducing_keras")
    (root / "submission" / "hello_nets.ipynb").write_text(hello_nets(), encoding="utf-8")

    results = run_autograder(root, KERAS_COURSE_CONTAINER_MEMORY_MB="768")

    (settings,) = [t for t in results["tests"] if t["number"] == "settings"]
    need = COURSE.memory + GRADER_MB
    assert settings["status"] == "failed" and settings["max_score"] == 0
    assert f"The autograder has 768 MB of memory, and grading needs {need:.0f} MB" in settings["output"]
    assert (
        "Raise the memory in the assignment's Settings, Autograder Settings, to at least 4.5 GB"
        in settings["output"]
    )
    hello = checks_of(results, "hello_nets")
    assert {t["status"] for t in hello.values()} == {"failed"}
    assert {t["output"] for t in hello.values()} == {
        "Not graded: the autograder's settings do not let it grade (see the test Autograder settings)."
    }


def test_where_learner_code_can_be_isolated_neither_way_nothing_runs_and_the_settings_test_says_why(
    fake_root,
):
    """No namespaces for bubblewrap, and no user to run learner code as: run_autograder names
    setup.sh's, which was never made here."""
    root = fake_root("introducing_keras")
    (root / "submission" / "hello_nets.ipynb").write_text(hello_nets(), encoding="utf-8")

    results = run_autograder(root, sys.executable, str(HERE / "no_namespaces.py"), KERAS_COURSE_RUN_AS="")

    (settings,) = [t for t in results["tests"] if t["number"] == "settings"]
    assert "Learner code cannot be isolated here: bwrap cannot run here:" in settings["output"]
    assert "and KERAS_COURSE_RUN_AS=kcstudent: no such user." in settings["output"]
    assert {t["status"] for t in checks_of(results, "hello_nets").values()} == {"failed"}
    assert results["extra_data"]["isolation"] == "none"


def test_too_little_time_leaves_the_notebook_not_graded_with_the_timeout_to_set(fake_root):
    """The autograder's Python itself, told that Gradescope gives it one minute: the notebook's
    300 seconds do not fit, so it does not start, and results.json says what to set."""
    root = fake_root("introducing_keras")
    (root / "submission" / "hello_nets.ipynb").write_text(hello_nets(), encoding="utf-8")
    env = dict(os.environ, KERAS_COURSE_AUTOGRADER_ROOT=str(root), KERAS_COURSE_RUN_AS=RUN_AS)
    command = [
        sys.executable,
        "-m",
        "keras_course.autograder",
        "--assignment",
        "introducing_keras",
        "--minutes",
        "1",
    ]

    assert subprocess.run(command, env=env, cwd=root, capture_output=True).returncode == 0

    results = valid(json.loads((root / "results" / "results.json").read_text(encoding="utf-8")))
    minutes = "Set the timeout in the assignment's Settings, Autograder Settings to 19 minutes"
    (settings,) = [t for t in results["tests"] if t["number"] == "settings"]
    assert minutes in settings["output"] and "--minutes 19" in settings["output"]
    layers = checks_of(results, "hello_nets")["layers"]
    assert layers["status"] == "failed" and "the autograder's time ran out" in layers["output"]


def test_the_autograders_own_failures_still_leave_a_results_json(fake_root):
    """A Python that cannot run (a broken install): run_autograder writes results.json itself. A
    failure inside the autograder (a setting it cannot read): every notebook not graded, and why."""
    root = fake_root("introducing_keras")
    broken = run_autograder(root, KERAS_COURSE_PYTHON="/bin/false")
    assert broken["score"] == 0 and broken["tests"] == []
    assert "This is the autograder's fault, not your notebook's" in broken["output"]

    root = fake_root("introducing_keras")
    (root / "submission" / "hello_nets.ipynb").write_text(hello_nets(), encoding="utf-8")
    failed = run_autograder(root, KERAS_COURSE_CONTAINER_MEMORY_MB="plenty")
    layers = checks_of(failed, "hello_nets")["layers"]
    assert layers["status"] == "failed"
    assert (
        "the autograder failed (CourseError: KERAS_COURSE_CONTAINER_MEMORY_MB=plenty: not a number"
        in layers["output"]
    )


def test_before_the_due_date_nothing_in_the_results_tells_a_held_out_result():
    """From results made here: a dollar_bills notebook whose held-out check passed with its
    accuracy. Its test is after_due_date; the visible output shows neither its points nor its
    feedback, and there is no top-level score to add them up."""
    exercise = COURSE.exercise("dollar_bills")
    checks = [
        CheckResult(
            name,
            True,
            points,
            points,
            f"{name} passed: accuracy 0.9512" if name == "heldout_accuracy" else "ok",
        )
        for name, points in exercise.checks.items()
    ]
    result = Result(
        "", "dollar_bills", exercise.max_score, exercise.max_score, None, checks, isolation="sandbox"
    )

    results = valid(
        results_json([result], COURSE, ["a note"], [], 12.3, {"assignment": "binary_classification"})
    )

    held = checks_of(results, "dollar_bills")["heldout_accuracy"]
    assert held["visibility"] == "after_due_date" and held["score"] == 3 and "0.9512" in held["output"]
    assert "0.9512" not in results["output"] and "score" not in results
    assert "- … heldout_accuracy [3 pending] Checked after the due date" in results["output"]
    assert "**Total: 6/6; 3 more points after the due date**" in results["output"]
    assert results["execution_time"] == 12


def cgroup_tree(tmp_path: Path, own: str, files: dict[str, str], v2: bool) -> tuple[Path, Path]:
    """A cgroup hierarchy and a /proc for memory_mb to read: this process's cgroup path, the
    limit files by path, and a machine of 24 GB."""
    cgroup, proc = tmp_path / "cgroup", tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "meminfo").write_text("MemTotal:       25165824 kB\nMemFree:         1000 kB\n")
    line = f"0::{own}" if v2 else f"4:memory:{own}\n3:cpuset:/"
    (proc / "self" / "cgroup").write_text(line + "\n")
    cgroup.mkdir()
    if v2:
        (cgroup / "cgroup.controllers").write_text("cpu memory pids\n")
    for path, text in files.items():
        (cgroup / path).parent.mkdir(parents=True, exist_ok=True)
        (cgroup / path).write_text(text)
    return cgroup, proc


@pytest.mark.parametrize(
    ("own", "files", "v2", "mb"),
    [
        ("/", {"memory.max": "805306368\n"}, True, 768),  # Gradescope's default, in a cgroup namespace
        ("/job/a", {"job/memory.max": "1610612736\n", "job/a/memory.max": "max\n"}, True, 1536),  # a parent's
        ("/docker/abc", {"memory/docker/abc/memory.limit_in_bytes": "3221225472\n"}, False, 3072),  # v1
        ("/", {"memory/memory.limit_in_bytes": "9223372036854771712\n"}, False, 24576),  # v1, no limit
        ("/", {}, True, 24576),  # no memory controller at all: the machine's memory
    ],
)
def test_the_containers_memory_is_its_cgroups_limit_else_the_machines(
    tmp_path, monkeypatch, own, files, v2, mb
):
    from keras_course.run.container import MEMORY_ENV, memory_mb

    monkeypatch.delenv(MEMORY_ENV, raising=False)
    assert memory_mb(*cgroup_tree(tmp_path, own, files, v2)) == mb
    monkeypatch.setenv(MEMORY_ENV, "6144")
    assert memory_mb(*cgroup_tree(tmp_path / "other", own, files, v2)) == 6144


def test_the_user_that_runs_learner_code_is_named_or_numbered_and_never_root(monkeypatch, request):
    from keras_course.course.errors import CourseError
    from keras_course.run.unprivileged import RUN_AS_ENV, RunAs, hand_over, run_as, user_to_run_as

    for named, user in [
        ("nobody", RunAs("nobody", 65534, 65534)),
        ("61999:62000", RunAs("61999:62000", 61999, 62000)),
    ]:
        monkeypatch.setenv(RUN_AS_ENV, named)
        assert user_to_run_as() == user == run_as()
    for named, why in [
        ("0", "that is root"),
        ("61999:0", "that is root"),
        ("no-such-user-here", "no such user"),
    ]:
        monkeypatch.setenv(RUN_AS_ENV, named)
        with pytest.raises(CourseError, match=why):
            user_to_run_as()
        assert run_as() is None
    monkeypatch.delenv(RUN_AS_ENV)
    assert run_as() is None

    closed = Path(tempfile.mkdtemp(prefix="kc-gs-"))  # in /tmp, which others may pass through
    request.addfinalizer(lambda: shutil.rmtree(closed))
    (closed / "run" / "box").mkdir(parents=True)
    closed.chmod(0o700)
    with pytest.raises(CourseError, match=f"^{closed}: the user 61999 that runs learner code cannot pass"):
        hand_over(closed / "run", [closed / "run" / "box"], RunAs("61999", 61999, 61999))
    closed.chmod(0o755)
    hand_over(closed / "run", [closed / "run" / "box"], RunAs("61999", 61999, 61999))
    assert stat.S_IMODE((closed / "run").stat().st_mode) == 0o711
    assert (closed / "run" / "box").stat().st_uid == 61999


def test_the_top_level_report_shows_no_figure_of_held_out_totals_before_the_due_date():
    """A figure drawn from held-out totals (a confusion matrix) would tell the result of a check
    shown only after the due date: Gradescope's report leaves it out; the others stay, inline."""
    course = load_course()
    result = Result("", "darts", 0.0, 12.0, None, [])
    own = Figure("Decision regions", "regions of your model; 800 throws of darts.csv", b"\x89PNG-regions")
    heldout = Figure(
        "Confusion matrix", "accuracy 0.86 on throws it has never seen", b"\x89PNG-cm", heldout=True
    )
    sections = {"darts": Section(None, "", (own, heldout), "")}
    data = results_json([result], course, [], [], 1.0, {}, sections)
    assert data["output_format"] == "html"
    assert own.data_uri() in data["output"] and own.alt in data["output"]
    assert heldout.data_uri() not in data["output"] and heldout.alt not in data["output"]
    assert results_json([result], course, [], [], 1.0, {})["output_format"] == "md"  # without sections
