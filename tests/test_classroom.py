"""GitHub Classroom: the workflow `keras-course classroom` writes, checked against the input
names of each action's action.yml (tests/classroom/actions.json, with where they were read);
the result `check --github` writes for the reporter, checked against a strict schema of the
reporter's version-1 format (tests/classroom/result.schema.json); and the folder of cloned
Classroom repositories that `grade` reads, learners named by login."""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import jsonschema
import pytest
import yaml
from keras_course import cli
from keras_course.author import classroom
from keras_course.course.config import load_course, parse_course
from keras_course.course.errors import CourseError
from keras_course.course.paths import COURSE_TOML, DATASETS_ENV, ROOT, SOLUTIONS
from keras_course.report.github import classroom_result, summary_markdown
from keras_course.report.results import CheckResult, Result
from mistakes import MISTAKES
from test_layouts import found_in, notebook

COURSE = load_course()
HERE = Path(__file__).resolve().parent / "classroom"
ACTIONS = json.loads((HERE / "actions.json").read_text(encoding="utf-8"))["actions"]
SCHEMA = json.loads((HERE / "result.schema.json").read_text(encoding="utf-8"))
WHEEL = ".github/keras-course/keras_course-0.1.0-py3-none-any.whl"
CLI = [sys.executable, "-m", "keras_course"]


def parsed(scoring: str, exercises=None) -> dict:
    """The workflow as GitHub reads it: the YAML text parsed."""
    exercises = list(COURSE.exercises.values()) if exercises is None else exercises
    text = classroom.workflow_text(classroom.workflow(exercises, WHEEL, scoring, COURSE.timeout))
    return yaml.safe_load(text)


def steps_of(document: dict) -> list[dict]:
    (job,) = document["jobs"].values()
    return job["steps"]


def graded(document: dict) -> list[dict]:
    """The steps that grade an exercise: named after one, with its id."""
    return [step for step in steps_of(document) if step.get("id") in COURSE.exercises]


@pytest.mark.parametrize("scoring", classroom.SCORINGS)
def test_the_workflow_has_the_shape_the_classroom_ui_writes(scoring):
    document = parsed(scoring)
    assert document["name"] == "Autograding Tests"  # the reporter's README: no other name reports
    assert document["on"] == ["push", "repository_dispatch"]
    assert document["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    assert list(document["jobs"]) == ["run-autograding-tests"]  # the check run the reporter updates
    job = document["jobs"]["run-autograding-tests"]
    assert job["if"] == "github.actor != 'github-classroom[bot]'"
    steps = job["steps"]
    assert steps[0]["uses"] == "actions/checkout@v4"
    assert steps[-1]["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    assert [s["id"] for s in graded(document)] == list(COURSE.exercises)
    assert "education/autograding" not in yaml.safe_dump(document)  # the archived action
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert [s["if"] for s in uploads] == ["always()"]
    assert uploads[0]["with"]["path"] == f"{classroom.REPORTS}/"


@pytest.mark.parametrize("scoring", classroom.SCORINGS)
def test_every_action_step_gives_only_inputs_its_action_yml_declares_and_all_it_requires(scoring):
    uses = [step for step in steps_of(parsed(scoring)) if "uses" in step]
    assert {s["uses"].split("@")[0] for s in uses} <= set(ACTIONS)
    for step in uses:
        inputs = ACTIONS[step["uses"].split("@")[0]]["inputs"]
        given = set(step.get("with", {}))
        assert given <= set(inputs), f"{step['name']}: {given - set(inputs)} not inputs of {step['uses']}"
        required = {name for name, spec in inputs.items() if spec["required"]}
        assert required <= given, f"{step['name']}: {step['uses']} requires {required - given}"
    assert {s["uses"] for s in uses} >= {classroom.REPORTER, "actions/upload-artifact@v4"}
    if scoring == "notebook":
        assert sum(s["uses"] == classroom.COMMAND_GRADER for s in uses) == len(COURSE.exercises)


@pytest.mark.parametrize("scoring", classroom.SCORINGS)
def test_step_ids_are_unique_and_the_reporter_reads_the_result_of_each_graded_step(scoring):
    document = parsed(scoring)
    ids = [step["id"] for step in steps_of(document) if "id" in step]
    assert len(ids) == len(set(ids))
    reporter = steps_of(document)[-1]
    runners = reporter["with"]["runners"].split(",")
    assert runners == [step["id"] for step in graded(document)]
    # the reporter reads <RUNNER upper-cased>_RESULTS (src/main.js)
    expected = {f"{r.upper()}_RESULTS": f"${{{{steps.{r}.outputs.result}}}}" for r in runners}
    assert reporter["env"] == expected


def test_points_are_whole_and_all_or_nothing_steps_carry_what_runs_in_classroom():
    for step in graded(parsed("notebook")):
        exercise = COURSE.exercise(step["id"])
        runs_here = sum(p for check, p in exercise.checks.items() if check not in exercise.hidden)
        assert type(step["with"]["max-score"]) is int
        assert step["with"]["max-score"] == runs_here
        assert runs_here < exercise.max_score if exercise.hidden else runs_here == exercise.max_score


@pytest.mark.parametrize("scoring", classroom.SCORINGS)
def test_keras_course_is_called_by_the_absolute_path_the_install_step_makes(scoring):
    steps = steps_of(parsed(scoring))
    (install,) = [s for s in steps if s.get("id") == "install"]
    assert f"python -m venv {classroom.VENV} " in install["run"]
    assert classroom.KERAS_COURSE == f"{classroom.VENV}/bin/keras-course"
    assert Path(classroom.KERAS_COURSE).is_absolute()
    commands = [s.get("run") or s["with"]["command"] for s in graded(parsed(scoring))]
    for command, exercise in zip(commands, COURSE.exercises, strict=True):
        words = shlex.split(command)
        assert words[:3] == [classroom.KERAS_COURSE, "check", f"{exercise}.ipynb"]
        assert ("--github" in words) == (scoring == "checks")


def test_every_command_line_parses_with_keras_courses_own_parser():
    parser = cli.build_parser()
    for scoring in classroom.SCORINGS:
        for step in graded(parsed(scoring)):
            words = shlex.split(step.get("run") or step["with"]["command"])
            args, unknown = parser.parse_known_args(words[1:])
            if unknown == ["--html", f"{classroom.REPORTS}/{step['id']}.html"]:
                pytest.skip("check --html (the HTML report) is not on this branch yet; the workflow uses it")
            assert unknown == []
            assert (args.command, args.notebook, args.exercise) == (
                "check",
                f"{step['id']}.ipynb",
                step["id"],
            )
            assert args.github == (scoring == "checks")


def course_with(old: str, new: str):
    """The course as course.toml would make it with one line changed."""
    text = COURSE_TOML.read_text(encoding="utf-8")
    assert text.count(old) == 1
    return parse_course(text.replace(old, new))


def test_a_point_value_that_is_not_whole_is_refused_in_one_line_naming_course_toml_and_the_check(
    tmp_path, monkeypatch, capsys
):
    halves = course_with("[exercises.darts.checks]\nlayers = 1\n", "[exercises.darts.checks]\nlayers = 1.5\n")
    message = (
        "course.toml: [exercises.darts.checks] layers = 1.5: GitHub Classroom counts whole points only; "
        "make it a whole number"
    )
    for scoring in classroom.SCORINGS:
        with pytest.raises(CourseError) as refused:
            classroom.workflow(list(halves.exercises.values()), WHEEL, scoring)
        assert str(refused.value) == message
    monkeypatch.setattr(classroom, "load_course", lambda: halves)
    wheel = tmp_path / "keras_course-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK")  # copied byte for byte; what a wheel holds is tests/test_wheel.py's
    assert cli.main(["classroom", str(tmp_path / "template"), "--wheel", str(wheel)]) == 2
    out = capsys.readouterr()
    assert out.err == f"keras-course: error: {message}\n"
    assert not (tmp_path / "template").exists()  # refused before anything is written
    without_darts = ["--wheel", str(wheel), "--assignment", "introducing_keras"]
    assert cli.main(["classroom", str(tmp_path / "t2"), *without_darts]) == 0  # made all the same
    # check --github refuses it too, before any kernel starts and before writing the step's output
    monkeypatch.setattr(cli, "load_course", lambda: halves)
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "output"))
    capsys.readouterr()
    assert cli.main(["check", str(SOLUTIONS / "darts.ipynb"), "--exercise", "darts", "--github"]) == 2
    assert capsys.readouterr().err == f"keras-course: error: {message}\n"
    assert not (tmp_path / "output").exists()


def test_the_classroom_command_writes_a_template_and_keeps_a_notebook_that_is_there(tmp_path, capsys):
    template = tmp_path / "template"
    edited = notebook(template / "dollar_bills.ipynb", "dollar_bills")
    kept = edited.read_bytes()
    wheel = tmp_path / "keras_course-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK\x03\x04 the learner package")
    code = cli.main(
        ["classroom", str(template), "--wheel", str(wheel), "--assignment", "binary_classification"]
    )
    assert code == 0, capsys.readouterr().err
    assert edited.read_bytes() == kept
    assert (template / WHEEL).read_bytes() == wheel.read_bytes()
    assert (template / "banknotes.csv").is_file()
    document = yaml.safe_load((template / classroom.WORKFLOW).read_text(encoding="utf-8"))
    assert [s["id"] for s in graded(document)] == ["dollar_bills"]
    (setup,) = [s for s in steps_of(document) if s.get("uses") == "actions/setup-python@v5"]
    assert setup["with"]["cache-dependency-path"] == WHEEL
    assert WHEEL in steps_of(document)[2]["run"]
    assert not (template / "darts.ipynb").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--assignment", "deep_dreams"], "unknown assignment 'deep_dreams' (course.toml [assignments]:"),
        (["--wheel", "nope.whl"], "nope.whl: not the learner package"),
    ],
)
def test_the_classroom_command_refuses_bad_options_in_one_line(tmp_path, capsys, options, message):
    assert cli.main(["classroom", str(tmp_path / "template"), *options]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert not (tmp_path / "template").exists()


def decoded(github_output: Path) -> dict:
    """The step's `result`, decoded as the reporter decodes it."""
    (line,) = github_output.read_text(encoding="utf-8").splitlines()
    name, value = line.split("=", 1)
    assert name == "result"
    result = json.loads(base64.b64decode(value, validate=True).decode("utf-8"))
    jsonschema.validate(result, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert sum(t["score"] for t in result["tests"]) <= result["max_score"]
    return result


def start_check(
    notebook_path: Path, exercise: str, folder: Path, tmp: str, datasets: Path | None = None
) -> subprocess.Popen:
    """keras-course check --github in a step of its own: GITHUB_OUTPUT and GITHUB_STEP_SUMMARY
    are files of folder, as the runner makes them; datasets, where given, is the data folder
    (KERAS_COURSE_DATASETS: one without heldout/ is the learner package's)."""
    folder.mkdir()
    for name in ("output", "summary"):
        (folder / name).touch()
    env = dict(os.environ, GITHUB_OUTPUT=str(folder / "output"), GITHUB_STEP_SUMMARY=str(folder / "summary"))
    env["TMPDIR"] = tmp  # short: ZeroMQ's socket paths
    if datasets is not None:
        env[DATASETS_ENV] = str(datasets)
    command = [*CLI, "check", str(notebook_path), "--exercise", exercise, "--github"]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )


@pytest.mark.notebook
def test_check_github_gives_credit_check_by_check_for_the_solution_and_a_mistake(tmp_path):
    mistake = next(m for m in MISTAKES if (m.exercise, m.name) == ("hello_nets", "sigmoid_hidden"))
    attempt = tmp_path / "hello_nets.ipynb"
    attempt.write_text(mistake.apply((SOLUTIONS / "hello_nets.ipynb").read_text(encoding="utf-8")))
    with tempfile.TemporaryDirectory(prefix="kc-") as tmp:
        runs = {
            "solution": start_check(SOLUTIONS / "hello_nets.ipynb", "hello_nets", tmp_path / "solution", tmp),
            "mistake": start_check(attempt, "hello_nets", tmp_path / "mistake", tmp),
        }
        outs = {name: run.communicate(timeout=300) for name, run in runs.items()}
    assert [run.returncode for run in runs.values()] == [0, 0], outs  # written: the reporter fails the run
    solution, wrong = (decoded(tmp_path / name / "output") for name in runs)
    assert (solution["status"], solution["max_score"]) == ("pass", 4)
    assert [(t["status"], t["score"]) for t in solution["tests"]] == [("pass", 1)] * 4
    assert (wrong["status"], wrong["max_score"]) == ("fail", 4)
    scores = {t["name"].split(" [")[0]: (t["status"], t["score"]) for t in wrong["tests"]}
    assert scores == {
        "hello_nets: layers": ("pass", 1),
        "hello_nets: activations": ("fail", 0),
        "hello_nets: input_shape": ("pass", 1),
        "hello_nets: parameters": ("pass", 1),
    }
    failed = next(t for t in wrong["tests"] if t["status"] == "fail")
    assert mistake.message in failed["name"]  # the reporter prints a failed test's name only
    summary = (tmp_path / "mistake" / "summary").read_text(encoding="utf-8")
    assert f"- ❌ activations [0/1] {mistake.message}" in summary
    assert "**Total: 3/4**" in summary
    assert "✗ activations [0/1]" in outs["mistake"][0]  # the checklist in the step's log
    assert "tensorflow" not in "".join(outs["mistake"]).lower()


def test_check_github_of_a_missing_notebook_writes_an_error_result_and_exits_0(tmp_path):
    """As in a learner's repository: the learner package, without held-out data."""
    (tmp_path / "datasets").mkdir()
    with tempfile.TemporaryDirectory(prefix="kc-") as tmp:
        run = start_check(tmp_path / "darts.ipynb", "darts", tmp_path / "step", tmp, tmp_path / "datasets")
        out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    result = decoded(tmp_path / "step" / "output")
    assert result["status"] == "error"
    assert result["max_score"] == COURSE.exercise("darts").max_score - 3  # heldout_accuracy waits
    run_test, *checks = result["tests"]
    assert (run_test["name"], run_test["status"]) == ("run", "error")
    assert "darts.ipynb: no such file" in run_test["message"]
    assert [t["score"] for t in checks] == [0] * len(COURSE.exercise("darts").checks)
    assert [t["status"] for t in checks if "heldout_accuracy [3 pending]" in t["name"]] == ["pass"]
    assert "⚠️ " in (tmp_path / "step" / "summary").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("env", "options", "message"),
    [
        ({}, ["--exercise", "hello_nets"], "--github: GITHUB_OUTPUT is not set"),
        ({"GITHUB_OUTPUT": "x"}, [], "--github needs --exercise"),
    ],
)
def test_check_github_outside_a_step_or_without_its_exercise_is_refused_in_one_line(
    tmp_path, env, options, message
):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    out = subprocess.run(
        [*CLI, "check", str(SOLUTIONS / "hello_nets.ipynb"), "--github", *options],
        capture_output=True,
        text=True,
        env={**environ, **env},
        cwd=tmp_path,
    )
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and message in out.stderr
    assert out.stdout == ""


def held_out_pending() -> Result:
    """A darts result as the learner package gives it: every check passed but the one on held-out
    data, which is pending (tests/test_pending.py grades such a notebook for real)."""
    darts = COURSE.exercise("darts")
    checks = [
        CheckResult(name, True, points, points, "ok")
        if name not in darts.hidden
        else CheckResult(name, False, 0.0, points, "Checked when you hand it in.", pending=True)
        for name, points in darts.checks.items()
    ]
    return Result("", "darts", darts.max_score - 3, darts.max_score, None, checks, isolation="none")


def test_held_out_checks_stay_pending_out_of_the_classroom_score_and_never_a_cross():
    result = classroom_result(held_out_pending(), COURSE.exercise("darts"))
    jsonschema.validate(result, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert (result["status"], result["max_score"]) == ("pass", 9)
    assert sum(t["score"] for t in result["tests"]) == 9
    (pending,) = [t for t in result["tests"] if "heldout_accuracy" in t["name"]]
    assert (pending["status"], pending["score"]) == ("pass", 0)
    assert "[3 pending]" in pending["name"]
    summary = summary_markdown(held_out_pending())
    assert "- ⏳ heldout_accuracy [3 pending]" in summary
    assert "3 more points are checked when you hand it in" in summary
    assert "❌" not in summary


def test_the_summary_escapes_what_the_learner_wrote_and_keeps_one_line_per_entry():
    result = held_out_pending()
    result.error = "Cell 4, line 2 (`x = '<script>alert(1)</script>'`) stopped with\nValueError"
    summary = summary_markdown(result)
    assert "<script>" not in summary and "&lt;script&gt;" in summary
    assert (
        "- ⚠️ Cell 4, line 2 (`x = '&lt;script&gt;alert(1)&lt;/script&gt;'`) stopped with ValueError"
        in summary
    )
    decoded_run = classroom_result(result, COURSE.exercise("darts"))["tests"][0]
    assert decoded_run["message"].endswith("stopped with ValueError")


@pytest.mark.parametrize(
    ("folder", "learner"),
    [
        ("keras-intro-submissions", "ann-lee"),  # gh classroom clone student-repos
        ("classroom", "keras-intro-ann-lee"),  # renamed: the folder's own name, as for any folder
    ],
)
def test_cloned_classroom_repositories_are_learners_named_by_login(tmp_path, folder, learner):
    repo = tmp_path / folder / "keras-intro-ann-lee"
    notebook(repo / "hello_nets.ipynb", "hello_nets")
    notebook(repo / "darts.ipynb", "darts")
    (repo / "darts.csv").write_text("x,y,competitor\n")
    (repo / ".git").mkdir()
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / classroom.WORKFLOW).write_text("name: Autograding Tests\n")
    notebook(tmp_path / folder / "other" / "hello_nets.ipynb", "hello_nets")  # not the assignment's
    found, jobs, skipped = found_in(tmp_path / folder)
    assert jobs == {
        (learner, "darts"): "keras-intro-ann-lee/darts.ipynb",
        (learner, "hello_nets"): "keras-intro-ann-lee/hello_nets.ipynb",
        ("other", "hello_nets"): "other/hello_nets.ipynb",
    }
    assert skipped == {}  # .git/ and .github/ are hidden, darts.csv is expected
    assert found.names[learner] == learner
