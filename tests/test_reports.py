"""The files a batch writes, from results made here: the gradebook CSV and table (not submitted
is not 0, a max-points row), JUnit XML (valid, counts that match its testcases), the Canvas and
Moodle import files, and the roster that names the learners in them."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import xmlschema
from keras_course.course.config import load_course
from keras_course.course.errors import CourseError
from keras_course.course.roster import Learner, read_roster
from keras_course.grade.batch import not_submitted
from keras_course.grade.grading import error_result, grader_failed
from keras_course.report.lms import to_canvas, to_moodle
from keras_course.report.results import CheckResult, Result, summary_table, to_csv, to_junit

COURSE = load_course()
EXERCISES = list(COURSE.exercises)
JUNIT_XSD = Path(__file__).resolve().parent / "junit.xsd"


def graded(learner: str, exercise_id: str, failed: tuple[str, ...] = ()) -> Result:
    """A result as the grader makes it, with the named checks failed."""
    exercise = COURSE.exercise(exercise_id)
    checks = [
        CheckResult(name, name not in failed, 0.0 if name in failed else points, points, f"{name} feedback")
        for name, points in exercise.checks.items()
    ]
    return Result(learner, exercise_id, sum(c.points for c in checks), exercise.max_score, None, checks)


def batch() -> list[Result]:
    """101 hands in hello_nets (full marks) and a counting_parameters that cannot be graded; 102
    a hello_nets with a mistake and a darts that fails every check; 103 nothing."""
    handed_in = [
        graded("101", "hello_nets"),
        error_result("101", "counting_parameters", "not a notebook (not valid JSON)"),
        graded("102", "hello_nets", failed=("activations",)),
        graded("102", "darts", failed=tuple(COURSE.exercise("darts").checks)),
    ]
    done = {(r.learner, r.exercise) for r in handed_in}
    missing = [
        not_submitted(learner, exercise)
        for learner in ("101", "102", "103")
        for exercise in COURSE.exercises.values()
        if (learner, exercise.id) not in done
    ]
    return handed_in + missing


LEARNERS = {
    "101": Learner("101", "Lee, Ann", email="ann@example.org", sis_id="S-1", login_id="alee", section="A"),
    "102": Learner("102", "Bo, Bob"),
    "103": Learner("103", "Cy, Cy", email="cy@example.org"),
}


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_gradebook_csv_leaves_not_submitted_empty_and_has_a_max_points_row():
    names = {i: who.name for i, who in LEARNERS.items()}
    rows = rows_of(to_csv(batch(), EXERCISES, names))
    maximum = [f"{e.max_score:g}" for e in COURSE.exercises.values()]
    total = f"{sum(e.max_score for e in COURSE.exercises.values()):g}"
    assert rows[0] == ["learner", "name", *EXERCISES, "total"]
    assert rows[1] == ["max points", "", *maximum, total]
    by_learner = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[2:]}
    assert list(by_learner) == ["101", "102", "103"]
    assert by_learner["101"]["name"] == "Lee, Ann"
    assert by_learner["101"]["hello_nets"] == "4" and by_learner["101"]["counting_parameters"] == "0"
    assert by_learner["101"]["darts"] == "" and by_learner["101"]["total"] == "4"
    assert by_learner["102"]["hello_nets"] == "3" and by_learner["102"]["darts"] == "0"
    assert by_learner["102"]["counting_parameters"] == "" and by_learner["102"]["total"] == "3"
    assert [by_learner["103"][e] for e in [*EXERCISES, "total"]] == [""] * (len(EXERCISES) + 1)


def test_the_summary_table_shows_not_submitted_as_a_dash_with_its_legend():
    lines = summary_table(batch(), EXERCISES).splitlines()
    assert lines[0].split() == ["learner", "name", *EXERCISES, "total"]
    assert lines[1].split()[:2] == ["max", "points"]
    assert lines[2].split() == ["101", "101", "4", "0", "-", "-", "-", "-", "-", "4"]
    assert lines[4].split() == ["103", "103", *["-"] * (len(EXERCISES) + 1)]
    assert lines[-1] == "(- : not submitted)"
    everything_handed_in = [graded("101", e) for e in EXERCISES]
    assert "not submitted" not in summary_table(everything_handed_in, EXERCISES)


def test_junit_is_valid_and_its_counts_are_those_of_its_testcases():
    text = to_junit(batch())
    xmlschema.XMLSchema(JUNIT_XSD).validate(text)
    root = ET.fromstring(text)
    suites = root.findall("testsuite")
    assert len(suites) == 3 * len(EXERCISES)
    for suite in suites:
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
        for kind, attribute in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            assert int(suite.get(attribute)) == len(suite.findall(f"testcase/{kind}")), (
                suite.get("name"),
                kind,
            )
    by_name = {s.get("name"): s for s in suites}
    broken = by_name["101.counting_parameters"]  # a run testcase with the error, and each check
    checks = len(COURSE.exercise("counting_parameters").checks)
    assert (broken.get("tests"), broken.get("errors"), broken.get("failures")) == (
        f"{checks + 1}",
        "1",
        f"{checks}",
    )
    assert broken.find("testcase[@name='run']/error").get("message") == "not a notebook (not valid JSON)"
    missing = by_name["103.darts"]
    skipped = f"{len(COURSE.exercise('darts').checks)}"
    assert (missing.get("failures"), missing.get("errors"), missing.get("skipped")) == ("0", "0", skipped)
    for key in ("tests", "failures", "errors"):
        assert int(root.get(key)) == sum(int(s.get(key)) for s in suites)


def test_the_schema_rejects_what_the_grader_must_not_write():
    """The check above can fail: a testsuite without its counts, or an unknown element, is invalid."""
    schema = xmlschema.XMLSchema(JUNIT_XSD)
    suite = '<testsuites><testsuite name="a" tests="1" failures="0" errors="0">{}</testsuite></testsuites>'
    assert schema.is_valid(suite.format('<testcase name="t"><failure message="m">m</failure></testcase>'))
    assert not schema.is_valid(suite.format("<x/>"))
    assert not schema.is_valid('<testsuites><testsuite name="a" tests="1"/></testsuites>')


def test_canvas_import_has_one_column_per_handed_in_assignment_and_the_points_possible_row():
    rows = rows_of(to_canvas(batch(), COURSE, LEARNERS))
    keras_max = sum(e.max_score for e in COURSE.assignment_exercises("introducing_keras"))
    darts_max = COURSE.exercise("darts").max_score
    assert rows == [
        [
            "Student",
            "ID",
            "SIS User ID",
            "SIS Login ID",
            "Section",
            "introducing_keras",
            "multi_class_classification",
        ],
        ["Points Possible", "", "", "", "", f"{keras_max:g}", f"{darts_max:g}"],
        ["Lee, Ann", "101", "S-1", "alee", "A", "4", ""],  # hello_nets 4 + counting_parameters 0
        ["Bo, Bob", "102", "", "", "", "3", "0"],
        ["Cy, Cy", "103", "", "", "", "", ""],
    ]


def test_a_notebook_the_grader_failed_on_has_no_grade_yet_in_any_report():
    """Not 0, which an import would take for the learner's grade: empty in the CSV and the LMS
    files (its learner's total and its assignment too), "!" in the table, a grader-error in JUnit."""
    failed = grader_failed("101", "counting_parameters", "its grading process ended with exit code 2")
    results = [failed if (r.learner, r.exercise) == ("101", "counting_parameters") else r for r in batch()]
    assert failed.error.startswith("the grader failed on this notebook; it will be graded again (")
    rows = {row[0]: row for row in rows_of(to_csv(results, EXERCISES))}
    assert rows["101"][2:5] == ["4", "", ""] and rows["101"][-1] == ""
    assert rows["102"][-1] == "3"
    table = summary_table(results, EXERCISES).splitlines()
    assert table[2].split() == ["101", "101", "4", "!", "-", "-", "-", "-", "-", "!"]
    assert table[-1] == "(! : the grader failed on this notebook; it will be graded again with --resume)"
    run = ET.fromstring(to_junit(results)).find("testsuite[@name='101.counting_parameters']/testcase/error")
    assert (run.get("type"), run.get("message")) == ("grader-error", failed.error)
    assert rows_of(to_canvas(results, COURSE, LEARNERS))[2][5] == ""  # introducing_keras: not 4


def test_canvas_import_leaves_the_id_empty_where_it_is_no_canvas_user_id():
    results = [graded("ann", "hello_nets")]
    rows = rows_of(to_canvas(results, COURSE, {}))
    assert rows[2][:2] == ["ann", ""]  # Canvas then finds the learner by name or SIS id


def test_moodle_import_finds_learners_by_email_and_leaves_out_who_has_none():
    text, left_out = to_moodle(batch(), COURSE, LEARNERS)
    assert rows_of(text) == [
        ["Full name", "Email address", "introducing_keras", "multi_class_classification"],
        ["Lee, Ann", "ann@example.org", "4", ""],
        ["Cy, Cy", "cy@example.org", "", ""],
    ]
    assert left_out == ["102"]


def test_a_roster_names_learners_and_reads_the_lms_exports_as_they_are(tmp_path):
    plain = tmp_path / "roster.csv"
    plain.write_text("ID,Name,Email\n12345,Jane Smith,jane@example.org\nann,Ann Lee,\n", encoding="utf-8")
    assert read_roster(plain) == {
        "12345": Learner("12345", "Jane Smith", email="jane@example.org"),
        "ann": Learner("ann", "Ann Lee"),
    }
    canvas = tmp_path / "canvas.csv"  # Canvas's gradebook export, with its BOM and Points Possible row
    canvas.write_text(
        "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Quiz 1 (7)\n"
        "    Points Possible,,,,,10\n"
        '"Smith, Jane",12345,S-9,jsmith,Section A,8\n',
        encoding="utf-8",
    )
    assert read_roster(canvas) == {
        "12345": Learner("12345", "Smith, Jane", sis_id="S-9", login_id="jsmith", section="Section A")
    }
    moodle = tmp_path / "worksheet.csv"  # Moodle's grading worksheet
    moodle.write_text(
        "Identifier,Full name,Email address,Status,Grade\n"
        "Participant 111,Jane Smith,jane@example.org,Submitted,\n",
        encoding="utf-8",
    )
    assert read_roster(moodle) == {"111": Learner("111", "Jane Smith", email="jane@example.org")}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "no such file"),
        ("", "is empty, not a roster"),
        ("learner,email\nann,a@b.c\n", "a roster needs the columns id and name (it has: learner, email)"),
        ("id,name\nann,Ann\nann,Ann Lee\n", "line 3: the id ann is there twice"),
    ],
)
def test_a_bad_roster_is_told_in_one_line_naming_the_file(tmp_path, text, message):
    path = tmp_path / "roster.csv"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(CourseError, match=re.escape(message)) as caught:
        read_roster(path)
    assert str(path) in str(caught.value)


class Terminal(io.StringIO):
    """What rich writes to a terminal, kept as text."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("stream", [io.StringIO(), Terminal()], ids=["plain", "terminal"])
def test_grade_progress_shows_done_of_total_failures_and_time_left(stream):
    """keras-course grade's progress: a rich bar on a terminal, plain lines elsewhere (CI)."""
    from keras_course.report.progress import BatchProgress

    results = [graded("ann", "hello_nets"), error_result("bob", "darts", "the notebook's kernel died")]
    with BatchProgress(stream) as progress:
        progress.start(3)
        for result in results:
            progress.graded(result)
    text = stream.getvalue()
    assert "graded ann/hello_nets: 4/4" in text
    assert "graded bob/darts: 0/12 (the notebook's kernel died)" in text
    if isinstance(stream, Terminal):
        assert "\x1b[" in text  # the bar is drawn with the terminal's codes
        shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
        assert re.search(r"2/3 1 failed ETA \d+:\d\d:\d\d", shown), shown
    else:
        assert "graded ann/hello_nets: 4/4 [1/3, 0 failed, ETA" in text
        assert "[2/3, 1 failed, ETA" in text
        assert "\x1b[" not in text
