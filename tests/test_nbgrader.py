"""The whole course through stock nbgrader, offline: generate, hand out and collect through
nbgrader's exchange, autograde, feedback, export.

One test runs the README's instructor walk-through: `keras-course nbgrader`, `nbgrader
generate_assignment` and `release_assignment`; then three learners, each in a folder of their
own with only the learner wheel's environment (learner_env.py, the `learner_venv` fixture),
`nbgrader fetch_assignment`, fill in (the reference solutions, nothing, one typical mistake per
exercise), `nbgrader validate` and `nbgrader submit`; then `nbgrader collect`, `nbgrader
autograde` while `keras-course grade` grades the same notebooks beside it, `nbgrader
generate_feedback` and `nbgrader export`. Every command, the learners' too, runs with an empty
HOME, which must stay empty. Each function below is one promise of the walk-through, checked on
what those commands wrote, as a subtest.
"""

from __future__ import annotations

import csv
import html
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import LearnerVenv
from keras_course.author.nbgrader_course import CONFIG_FILE, COURSE_ID, EXCHANGE_DIR, LEARNERS_DIR
from keras_course.course.config import load_course
from keras_course.course.paths import HELDOUT
from keras_course.report.results import Result
from learner_env import Learner
from mistakes import END_TO_END, MISTAKES

pytestmark = pytest.mark.notebook

COURSE = load_course()
BIN = Path(sys.executable).parent
LEARNERS = ("reference", "untouched", "mistaken")
RELEASE = "ls release | xargs -I{} nbgrader release_assignment {}"
COLLECT = "ls release | xargs -I{} nbgrader collect {}"
AUTOGRADE = """ls submitted | xargs -P 2 -I{} nbgrader autograde "*" --student {}"""
VALIDATED = "introducing_keras/hello_nets.ipynb"  # what the reference and the untouched learner validate
KERAS_COURSE_GRADE = "keras-course grade submitted --json results.json --csv gradebook.csv --junit junit.xml"
VARIANTS = {v.exercise: v for v in MISTAKES if END_TO_END.get(v.exercise) == v.name}
# Who hands in what, whole assignments (nbgrader's exchange hands in assignments). To keep `make
# test` within its time budget, the untouched learner hands in the first assignment and the
# mistaken learner the assignments of END_TO_END's exercises; test_grading.py
# runs every stub and the other mistakes. The reference learner hands in every exercise in the
# full run (`make test-all`); the quick run (`make test`) leaves out the two that train for half
# a minute each, whose reference solutions test_grading.py trains and grades instead.
LONG = ("darts", "irrigation")
HANDED_IN = {
    "reference": list(COURSE.exercises),
    "untouched": ["hello_nets", "counting_parameters", "build_as_shown"],
    "mistaken": list(END_TO_END),
}
QUICK = dict(HANDED_IN, reference=[e for e in COURSE.exercises if e not in LONG])


def assignments_of(exercise_ids: list[str]) -> list[str]:
    """The assignments of these exercises, each of which they must hold whole."""
    names = [
        a for a in COURSE.assignments if any(e.id in exercise_ids for e in COURSE.assignment_exercises(a))
    ]
    for name in names:
        assert all(e.id in exercise_ids for e in COURSE.assignment_exercises(name)), f"{name} is not whole"
    return names


def assignment_of(exercise_id: str) -> str:
    return next(
        name
        for name in COURSE.assignments
        if exercise_id in [e.id for e in COURSE.assignment_exercises(name)]
    )


def clean_environment(home: Path) -> dict[str, str]:
    """The caller's environment with an empty HOME and no tool homes: the course folder's
    nbgrader_config.py and keras-course must keep every tool out of HOME by themselves."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_", "KERAS_HOME"))}
    for name in ("MPLCONFIGDIR", "IPYTHONDIR"):
        env.pop(name, None)
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and Path(p) != BIN]
    env.update(HOME=str(home), PATH=os.pathsep.join(path))  # `. ./activate` adds nbgrader's bin
    return env


def fill_in(release: Path, source: Path) -> nbformat.NotebookNode:
    """A learner's copy of a release notebook with the reference answers written in."""
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nbformat.read(source, as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[grade_id]
    return nb


class CourseRun:
    """The course directory after the walk-through, and how long each step took."""

    def __init__(self, root: Path, handed_in: dict[str, list[str]], learner_venv: LearnerVenv) -> None:
        self.root = root
        self.handed_in = handed_in
        self.course = root / "course"  # made by the first step
        self.home = root / "home"
        self.home.mkdir()
        self.env = clean_environment(self.home)
        self.learner_venv = learner_venv  # being built while the course is made and released
        self.validated: dict[str, str] = {}  # what `nbgrader validate` told each learner who ran it
        self.started: dict[str, float] = {}
        self.seconds: dict[str, float] = {}

    def shell(
        self, step: str, line: str, cwd: Path | None = None, env: dict | None = None
    ) -> subprocess.Popen:
        """Start one line of the README's walk-through in bash, in the course directory after
        `. ./activate` unless cwd is given."""
        if cwd is None:
            cwd, line = self.course, f". ./activate && {line}"
        self.started[step] = time.monotonic()
        return subprocess.Popen(
            ["bash", "-c", line],
            cwd=cwd,
            env=env or self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait(self, step: str, proc: subprocess.Popen) -> str:
        out, err = proc.communicate()
        self.seconds[step] = round(time.monotonic() - self.started[step], 1)
        assert proc.returncode == 0, f"{step} failed:\n{out[-3000:]}\n{err[-3000:]}"
        return out

    def step(self, name: str, line: str, cwd: Path | None = None) -> str:
        return self.wait(name, self.shell(name, line, cwd))

    def learner_folder(self, learner: str) -> Path:
        return self.root / LEARNERS_DIR / learner

    def learners_hand_in(self) -> None:
        """Each learner, in a folder with the course's learners/nbgrader_config.py and with only
        the learner wheel's environment, fetches, fills in, validates and submits; the three
        learners at once."""
        assignments = {learner: assignments_of(self.handed_in[learner]) for learner in LEARNERS}
        # The learners' commands: only the learner wheel's environment on PATH, the same empty HOME.
        learner_env = Learner(self.learner_venv.path(), self.home).env()
        fetching = {}
        for learner in LEARNERS:
            folder = self.learner_folder(learner)
            folder.mkdir(parents=True)
            shutil.copy(self.course / LEARNERS_DIR / CONFIG_FILE, folder)
            line = "nbgrader fetch_assignment " + " ".join(assignments[learner])
            fetching[learner] = self.shell(f"fetch {learner}", line, folder, learner_env)
        for learner, proc in fetching.items():
            self.wait(f"fetch {learner}", proc)
            self.fill_in(learner)
        submitting = {}
        for learner in LEARNERS:
            lines = [f"nbgrader submit {a} --student {learner}" for a in assignments[learner]]
            if learner != "mistaken":
                lines.insert(0, f"nbgrader validate {VALIDATED}")
            line = " && ".join(lines)
            submitting[learner] = self.shell(
                f"submit {learner}", line, self.learner_folder(learner), learner_env
            )
        for learner, proc in submitting.items():
            self.validated[learner] = self.wait(f"submit {learner}", proc)

    def fill_in(self, learner: str) -> None:
        """The learner's work, written into the notebooks they fetched: the reference answers,
        nothing (untouched), or the reference answers with one typical mistake."""
        if learner == "untouched":
            return
        for exercise_id in self.handed_in[learner]:
            assignment = assignment_of(exercise_id)
            fetched = self.learner_folder(learner) / assignment / f"{exercise_id}.ipynb"
            source = self.course / "source" / assignment / f"{exercise_id}.ipynb"
            filled = nbformat.writes(fill_in(fetched, source))
            text = VARIANTS[exercise_id].apply(filled) if learner == "mistaken" else filled
            fetched.write_text(text, encoding="utf-8")

    def walk_through(self) -> None:
        self.step("keras-course nbgrader", f"{BIN}/keras-course nbgrader course", cwd=self.root)
        self.step("generate_assignment", 'nbgrader generate_assignment "*"')
        self.step("release_assignment", RELEASE)
        self.learners_hand_in()
        self.step("collect", COLLECT)
        # keras-course grades the same notebooks while nbgrader autogrades them.
        grading = self.shell("keras-course grade", KERAS_COURSE_GRADE)
        self.step("autograde", AUTOGRADE)
        self.wait("keras-course grade", grading)
        self.step("generate_feedback", 'nbgrader generate_feedback "*"')
        self.step("export", "nbgrader export")

    def keras_course_results(self) -> dict[tuple[str, str], Result]:
        raw = json.loads((self.course / "results.json").read_text(encoding="utf-8"))["results"]
        return {(r["learner"], r["exercise"]): Result.from_dict(r) for r in raw}

    def autograded_checks(self, learner: str, exercise_id: str) -> dict[str, tuple[bool, str]]:
        """Each test cell of the autograded notebook: passed, and the message it showed."""
        path = self.course / "autograded" / learner / assignment_of(exercise_id) / f"{exercise_id}.ipynb"
        outcome = {}
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if not (meta.get("grade") and cell.cell_type == "code"):
                continue
            errors = [o for o in cell.outputs if o.output_type == "error"]
            text = (
                errors[0].evalue
                if errors
                else "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
                .strip()
                .removeprefix("✓ ")
            )
            outcome[meta["grade_id"].removeprefix("check_")] = (not errors, text)
        return outcome


def every_assignment_is_generated_with_its_data(course_run):
    for assignment in COURSE.assignments:
        release = course_run.course / "release" / assignment
        for exercise in COURSE.assignment_exercises(assignment):
            assert (release / f"{exercise.id}.ipynb").is_file()
            for name in exercise.data:
                assert (release / name).is_file()


def release_holds_no_solution_code_and_no_held_out_data(course_run):
    heldout_lines = {
        line for p in HELDOUT.iterdir() for line in p.read_text(encoding="utf-8").splitlines()[1:]
    }
    for path in (course_run.course / "release").rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, path
        for exercise in COURSE.exercises.values():
            for name in exercise.hidden:
                call = json.dumps(f'assert_passes("{exercise.id}", "{name}")')[1:-1]  # as in a .ipynb
                assert call not in text, path
        if path.suffix == ".csv":
            assert not heldout_lines & set(text.splitlines()), f"{path} holds held-out rows"
    for exercise in COURSE.exercises.values():
        release = course_run.course / "release" / assignment_of(exercise.id) / f"{exercise.id}.ipynb"
        source = nbformat.read(
            course_run.course / "source" / assignment_of(exercise.id) / f"{exercise.id}.ipynb", 4
        )
        stub = release.read_text(encoding="utf-8")
        for cell in source.cells:
            if cell.metadata.get("nbgrader", {}).get("solution"):
                answer = cell.source.split("### BEGIN SOLUTION\n")[1].split("\n### END SOLUTION")[0]
                assert answer not in stub, f"{release.name} shows the answer {answer!r}"


def cell_metadata_is_nbgraders_schema_with_points_from_course_toml(course_run):
    for exercise in COURSE.exercises.values():
        source = course_run.course / "source" / assignment_of(exercise.id) / f"{exercise.id}.ipynb"
        cells = nbformat.read(source, as_version=4).cells
        points = {}
        for cell in cells:
            meta = cell.metadata["nbgrader"]
            assert meta["schema_version"] == 3
            if meta["solution"]:
                assert not meta["locked"] and not meta["grade"]
            else:
                assert meta["locked"], meta["grade_id"]
            if meta["grade"]:
                points[meta["grade_id"].removeprefix("check_")] = meta["points"]
        assert points == exercise.checks


def nbgrader_and_keras_course_give_the_same_scores_and_feedback(course_run):
    results = course_run.keras_course_results()
    for learner, exercise_ids in course_run.handed_in.items():
        for exercise_id in exercise_ids:
            ours = {c.name: (c.passed, c.feedback) for c in results[(learner, exercise_id)].checks}
            assert course_run.autograded_checks(learner, exercise_id) == ours, (learner, exercise_id)


def export_scores_are_full_zero_and_exactly_the_mistakes(course_run):
    with open(course_run.course / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    scores = {(r["student_id"], r["assignment"]): float(r["raw_score"]) for r in rows}
    results = course_run.keras_course_results()
    for assignment in COURSE.assignments:
        exercises = COURSE.assignment_exercises(assignment)
        full = sum(e.max_score for e in exercises)
        if all(e.id in course_run.handed_in["reference"] for e in exercises):
            assert scores[("reference", assignment)] == full
        assert scores[("untouched", assignment)] == 0
        if all(e.id in VARIANTS for e in exercises):
            lost = sum(e.checks[c] for e in exercises for c in VARIANTS[e.id].fails)
            assert scores[("mistaken", assignment)] == full - lost
        for learner in LEARNERS:
            ours = sum(results[(learner, e.id)].score for e in exercises)
            assert scores[(learner, assignment)] == ours


def each_mistake_loses_exactly_its_checks(course_run):
    results = course_run.keras_course_results()
    for exercise_id, variant in VARIANTS.items():
        checks = results[("mistaken", exercise_id)].checks
        assert {c.name for c in checks if not c.passed} == set(variant.fails), exercise_id
        assert any(variant.message in c.feedback for c in checks if not c.passed), exercise_id


def feedback_html_shows_the_graders_message(course_run):
    results = course_run.keras_course_results()
    failed = next(c for c in results[("mistaken", "darts")].checks if not c.passed)
    page = course_run.course / "feedback" / "mistaken" / assignment_of("darts") / "darts.html"
    text = html.unescape(page.read_text(encoding="utf-8"))
    assert failed.feedback in text
    assert "Your model was not compiled" in failed.feedback


def keras_course_grade_reads_nbgraders_submitted_folder_and_writes_reports(course_run):
    with open(course_run.course / "gradebook.csv", newline="", encoding="utf-8") as handle:
        rows = {r["learner"]: r for r in csv.DictReader(handle)}
    assert set(rows) == {"max points", *LEARNERS}
    assert float(rows["max points"]["total"]) == sum(e.max_score for e in COURSE.exercises.values())
    handed_in = course_run.handed_in["reference"]
    assert float(rows["reference"]["total"]) == sum(COURSE.exercise(e).max_score for e in handed_in)
    not_handed_in = [e for e in COURSE.exercises if e not in course_run.handed_in["untouched"]]
    assert [rows["untouched"][e] for e in not_handed_in] == [""] * len(not_handed_in)  # not 0
    assert (course_run.course / "junit.xml").read_text(encoding="utf-8").startswith("<?xml")


def home_directory_stays_empty(course_run):
    assert list(course_run.home.iterdir()) == []


def the_exchange_hands_out_and_collects_each_learners_work(course_run):
    exchange = course_run.course / EXCHANGE_DIR / COURSE_ID
    assert sorted(p.name for p in (exchange / "outbound").iterdir()) == sorted(COURSE.assignments)
    inbound = sorted(p.name.split("+")[:2] for p in (exchange / "inbound").iterdir())
    for learner in LEARNERS:
        assignments = assignments_of(course_run.handed_in[learner])
        assert [a for name, a in inbound if name == learner] == sorted(assignments), learner
        for assignment in assignments:
            submitted = course_run.course / "submitted" / learner / assignment
            assert (submitted / "timestamp.txt").is_file()
            fetched = course_run.learner_folder(learner) / assignment
            for exercise in COURSE.assignment_exercises(assignment):
                name = f"{exercise.id}.ipynb"
                assert (submitted / name).read_bytes() == (fetched / name).read_bytes(), (learner, name)


def a_learner_with_only_the_wheel_validates_a_filled_in_notebook_and_an_untouched_one_fails(course_run):
    assert "Success! Your notebook passes all the tests." in course_run.validated["reference"]
    untouched = course_run.validated["untouched"]
    exercise_id = Path(VALIDATED).stem
    failed = [c for c in course_run.keras_course_results()[("untouched", exercise_id)].checks if not c.passed]
    assert failed and f"VALIDATION FAILED ON {len(failed)} CELL(S)!" in untouched
    for check in failed:  # the first sentence (the kernel names a cell by its [count], not its place)
        first = check.feedback.split(". ")[0]
        assert f"CheckFailed: {first}"[:70] in untouched, check.name  # nbgrader cuts lines at 90


WHAT_THE_WALK_THROUGH_GIVES = [
    every_assignment_is_generated_with_its_data,
    release_holds_no_solution_code_and_no_held_out_data,
    cell_metadata_is_nbgraders_schema_with_points_from_course_toml,
    nbgrader_and_keras_course_give_the_same_scores_and_feedback,
    export_scores_are_full_zero_and_exactly_the_mistakes,
    each_mistake_loses_exactly_its_checks,
    feedback_html_shows_the_graders_message,
    keras_course_grade_reads_nbgraders_submitted_folder_and_writes_reports,
    home_directory_stays_empty,
    the_exchange_hands_out_and_collects_each_learners_work,
    a_learner_with_only_the_wheel_validates_a_filled_in_notebook_and_an_untouched_one_fails,
]


@pytest.mark.parametrize(
    "handed_in",
    [pytest.param(QUICK, id="quick"), pytest.param(HANDED_IN, id="full", marks=pytest.mark.training)],
)
def test_the_readme_walk_through_with_stock_nbgrader(tmp_path, subtests, handed_in, learner_venv):
    """One run of the walk-through (the longest test of the suite), then each of its promises
    as a subtest."""
    course_run = CourseRun(tmp_path, handed_in, learner_venv)
    course_run.walk_through()
    print(f"\nnbgrader walk-through, seconds per step: {course_run.seconds}")
    for promise in WHAT_THE_WALK_THROUGH_GIVES:
        with subtests.test(msg=promise.__name__):
            promise(course_run)
