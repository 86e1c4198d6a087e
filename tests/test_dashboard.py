"""The class dashboard (report/dashboard.py) and the batch's HTML reports (grade/html_reports.py).

The failed checks are counted by learner and grouped by the value each check measured
(CheckResult.measured), falling back to the feedback where a check measured nothing; what was not
handed in, what did not run and what the grader failed on are counted apart, never as failed
checks. Learners' ids with spaces and other scripts get safe file names that the dashboard's
links resolve to. The end-to-end test runs `keras-course grade --html-dir` (with --resume) on
real notebooks in real kernels (test_cli.py runs `check --html`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
from html import unescape

import pytest
from html_checks import page_problems, parsed, text_of
from keras_course.course.config import load_course
from keras_course.course.paths import SAMPLES, SOLUTIONS
from keras_course.grade.batch import not_submitted
from keras_course.grade.grading import error_result, grader_failed
from keras_course.grade.html_reports import write_batch_reports
from keras_course.grade.result_store import RESULTS_DIR
from keras_course.report.dashboard import (
    dashboard_html,
    exercise_counts,
    failed_checks,
    learner_rows,
    report_file_name,
)
from keras_course.report.results import CheckResult, Result

COURSE = load_course()
CLI = [sys.executable, "-m", "keras_course"]


def darts(learner: str, layers: str = "", measured: str = "", pending: bool = False) -> Result:
    """A darts result whose `layers` check failed with this value measured ("" : passed), and
    whose held-out check is pending or passed."""
    exercise = COURSE.exercise("darts")
    checks = []
    for name, points in exercise.checks.items():
        failed = name == "layers" and bool(layers)
        held_out = name == "heldout_accuracy" and pending
        check = CheckResult(
            name, not failed and not held_out, 0.0 if failed or held_out else points, points, "ok"
        )
        if failed:
            check.feedback, check.measured = layers, measured
        check.pending = held_out
        checks.append(check)
    return Result(learner, "darts", sum(c.points for c in checks), exercise.max_score, None, checks)


def class_of_darts() -> list[Result]:
    """14 learners with 32 units in layer 2, 3 with 16, 2 whose check measured nothing (told
    apart by their feedback), 1 who passed; and one each not submitted, not run, and failed by
    the grader, whose checks all failed but count as no failed check."""
    message = "Layer 2 should have 64 units; yours has {}."
    results = [darts(f"a{i:02}", message.format(32), "layer 2: 32 units") for i in range(14)]
    results += [darts(f"b{i}", message.format(16), "layer 2: 16 units", pending=True) for i in range(3)]
    results += [darts(f"c{i}", "Your model has 5 Dense layers.") for i in range(2)]
    results += [darts("d0")]
    results += [
        not_submitted("e0", COURSE.exercise("darts")),
        error_result("e1", "darts", "the notebook ran past its 300 seconds"),
        grader_failed("e2", "darts", "its grading process died"),
    ]
    return results


def report_links(html: str) -> list[str]:
    """The links of a page to other files (the skip link to its content aside)."""
    return [link for link in parsed(html).links if not link.startswith("#")]


def test_the_failed_checks_are_grouped_by_the_value_measured_and_count_learners():
    (layers,) = failed_checks(class_of_darts(), COURSE)

    assert (layers.exercise, layers.check, layers.learners) == ("darts", "layers", 19)
    assert layers.values == (
        ("layer 2: 32 units", 14),
        ("layer 2: 16 units", 3),
        ("Your model has 5 Dense layers.", 2),  # measured nothing: its feedback
    )
    assert layers.by_feedback is False


def test_a_check_that_measured_nothing_is_grouped_by_its_feedback_and_the_most_failed_comes_first():
    results = class_of_darts()
    for result in results[:5]:  # five learners also failed `encoding`, which measured nothing
        encoding = next(c for c in result.checks if c.name == "encoding")
        encoding.passed, encoding.points, encoding.feedback = False, 0.0, "`competitors` is not one-hot."
    layers, encoding = failed_checks(results, COURSE)

    assert (layers.check, encoding.check) == ("layers", "encoding")
    assert encoding.values == (("`competitors` is not one-hot.", 5),) and encoding.by_feedback


def test_each_exercise_counts_its_scores_apart_from_what_was_not_submitted_not_run_or_not_graded():
    counts = {c.exercise: c for c in exercise_counts(class_of_darts(), COURSE)}["darts"]

    assert (counts.not_submitted, counts.learner_errors, counts.grader_errors) == (1, 1, 1)
    assert len(counts.scores) == 21  # the 20 graded and the one that did not run (0 points)
    assert counts.full_marks == 1
    distribution = dict(counts.distribution())
    assert sum(distribution.values()) == 21 and list(distribution) == list(range(13))
    assert distribution[11] == 16 and distribution[8] == 3 and distribution[12] == 1 and distribution[0] == 1


def test_the_learners_table_marks_what_was_not_submitted_or_not_graded():
    rows = {row.learner: row for row in learner_rows(class_of_darts(), COURSE, {"a00": "Ann Example"})}
    darts_column = list(COURSE.exercises).index("darts")

    assert rows["a00"].name == "Ann Example" and rows["a00"].cells[darts_column] == ("11", 11.0)
    assert rows["e0"].cells[darts_column] == ("–", -1.0) and rows["e0"].total == ("–", -1.0)
    assert rows["e1"].cells[darts_column] == ("0*", 0.0)
    assert rows["e2"].cells[darts_column] == ("!", -2.0) and rows["e2"].total == ("!", -2.0)
    assert rows["a00"].cells[0] == ("–", -1.0)  # hello_nets: no result at all


def test_report_file_names_are_plain_and_never_shared():
    names = [
        report_file_name(learner) for learner in ("Zoë Núñez 李", "Zoë Núñez 王", "../../etc", "", "ann")
    ]

    assert all(re.fullmatch(r"[A-Za-z0-9-]+-[0-9a-f]{10}\.html", name) for name in names), names
    assert names[0].startswith("Zoe-Nunez-") and len(set(names)) == len(names)


def test_the_dashboard_links_every_learners_report_and_allows_its_one_script_only(tmp_path):
    results = class_of_darts() + [
        darts("Zoë Núñez 李", "Layer 2 should have 64 units; yours has 8.", "layer 2: 8 units")
    ]
    index = write_batch_reports(tmp_path, results, lambda _: None, {"a00": "Ann Example"})
    html = index.read_text(encoding="utf-8")

    assert page_problems(html) == []
    links = report_links(html)
    assert len(links) == len({r.learner for r in results}) == 24
    assert all((tmp_path / link).is_file() for link in links)
    for link in links:
        assert page_problems((tmp_path / link).read_text(encoding="utf-8")) == [], link
    assert "Zoë Núñez 李" in text_of(
        (tmp_path / report_file_name("Zoë Núñez 李")).read_text(encoding="utf-8")
    )
    (script,) = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    (policy,) = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html)
    assert unescape(policy).split("; ") == [
        "default-src 'none'",
        "img-src data:",
        "style-src 'unsafe-inline'",
        f"script-src 'sha256-{digest}'",
    ]
    assert "layer 2: 32 units (14 learners)" in text_of(html)


def test_an_empty_class_still_gives_a_valid_dashboard():
    html = dashboard_html([], COURSE, {})

    assert page_problems(html) == []
    assert "No check failed" in text_of(html)


def run(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True)


@pytest.mark.notebook
def test_grade_html_dir_writes_a_report_per_learner_and_resume_draws_again_what_is_missing(tmp_path):
    batch = tmp_path / "batch"
    for learner, notebook in (
        ("Zoë Núñez 李", SAMPLES / "mia" / "hello_nets.ipynb"),
        ("ann", SOLUTIONS / "hello_nets.ipynb"),
    ):
        (batch / learner).mkdir(parents=True)
        shutil.copy(notebook, batch / learner / "hello_nets.ipynb")
    reports = tmp_path / "reports"
    out = run("grade", batch, "--html-dir", reports, "--json", tmp_path / "results.json")

    assert out.returncode == 0, out.stderr
    assert f"the class dashboard is {reports / 'index.html'}" in out.stdout
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert sorted(report_links(index)) == sorted(report_file_name(x) for x in ("Zoë Núñez 李", "ann"))
    zoe = (reports / report_file_name("Zoë Núñez 李")).read_text(encoding="utf-8")
    assert page_problems(zoe) == [] and 'class="differs"' in zoe
    scores = {
        r["learner"]: r["score"]
        for r in json.loads((tmp_path / "results.json").read_text())["results"]
        if r["exercise"] == "hello_nets"
    }
    assert scores == {"Zoë Núñez 李": 3.0, "ann": 4.0}

    (batch / RESULTS_DIR / "ann" / "hello_nets.section.json").unlink()
    again = run("grade", batch, "--html-dir", reports, "--resume")
    assert again.returncode == 0, again.stderr
    assert "graded ann/hello_nets" in again.stderr and "Zoë" not in again.stderr
    assert (batch / RESULTS_DIR / "ann" / "hello_nets.section.json").is_file()
