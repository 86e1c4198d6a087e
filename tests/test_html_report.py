"""The learner's HTML report (report/html_report.py), drawn from real gradings: the variables of
a notebook exported as a kernel exports them and graded by the real pytest grader in this process
(run_here.py), which draws the report's section as a grading process does (--report-section).

A report for a passing and a failing notebook; the model beside the expected one, a difference
marked in words and the parameter arithmetic shown; an exercise that asks the learner to count
parameters withholds the expected counts until they did; and nothing at all (no export, no
model, not submitted, the grader failed) still gives a valid, self-contained, readable page.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import keras
from html_checks import drawn_png, page_problems, parsed, text_of
from keras_course.course.config import load_course
from keras_course.grade.batch import not_submitted
from keras_course.grade.grading import error_result, grader_failed
from keras_course.grade.html_reports import notebook_report, read_section
from keras_course.grade.report_section import NO_LAYERS
from keras_course.grade.result_store import kept_section, section_path
from keras_course.report.figure import Figure
from keras_course.report.section import Section
from run_here import dense_model, grade_variables

COURSE = load_course()


def graded(tmp_path: Path, exercise_id: str, namespace: dict) -> tuple:
    """The result of these variables, its section and its report."""
    drawn = tmp_path / "section.json"
    result = grade_variables(namespace, exercise_id, tmp_path, section=drawn)
    section = read_section(drawn)
    return result, section, notebook_report(Path(f"{exercise_id}.ipynb"), result, section)


def differing_cells(html: str) -> list[str]:
    """The text of every cell marked as differing from the expected model."""
    return [
        re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r'<td class="differs">(.*?)</td>', html)
    ]


def test_a_passing_report_lists_each_check_passed_and_the_model_as_expected(tmp_path):
    result, section, html = graded(tmp_path, "hello_nets", {"model": dense_model(2, (10, "relu"), (1, None))})

    assert result.score == result.max_score and section is not None and section.model is not None
    assert page_problems(html) == []
    text = text_of(html)
    for check in result.checks:
        assert f"Passed: {check.name} ({check.max_points:g} of {check.max_points:g} point" in text
        assert check.feedback in text
    assert "2 inputs × 10 units + 10 = 30" in text and "10 inputs × 1 unit + 1 = 11" in text
    assert "Your model has the expected layers" in text
    assert differing_cells(html) == []


def test_a_failing_report_marks_the_layer_that_differs_and_shows_its_arithmetic(tmp_path):
    result, _, html = graded(tmp_path, "hello_nets", {"model": dense_model(2, (32, "relu"), (1, None))})

    assert page_problems(html) == []
    text = text_of(html)
    assert "Failed: layers (0 of 1 point). Layer 1 should have 10 units; yours has 32." in text
    assert "Failed: parameters (0 of 1 point)." in text
    # Yours, marked with a word (not by colour alone), beside the expected arithmetic, unmarked.
    assert differing_cells(html) == [
        "32 units differs",
        "2 inputs × 32 units + 32 = 96 differs",
        "32 inputs × 1 unit + 1 = 33 differs",
        "129 differs",
    ]
    assert "2 inputs × 10 units + 10 = 30" in text and "41" in text
    assert "2 row(s) differ from the expected model" in text


def test_a_layer_short_a_layer_too_many_and_another_activation_are_marked(tmp_path):
    _, _, short = graded(tmp_path / "short", "hello_nets", {"model": dense_model(2, (10, "relu"))})
    _, _, extra = graded(
        tmp_path / "extra", "hello_nets", {"model": dense_model(2, (10, "relu"), (1, "sigmoid"), (1, None))}
    )

    assert page_problems(short) == [] and page_problems(extra) == []
    assert differing_cells(short)[:3] == ["no such layer differs", "— differs", "— differs"]
    # Layer 2 has an activation where none is expected; layer 3 is one too many, all of it marked.
    assert differing_cells(extra) == [
        "sigmoid differs",
        "1 unit differs",
        "none differs",
        "1 input × 1 unit + 1 = 2 differs",
        "43 differs",
    ]
    assert "no such layer expected" in text_of(extra)


def test_the_expected_parameters_are_withheld_until_the_learner_counted_them(tmp_path):
    model = dense_model(3, (5, "relu"), (1, None))
    _, _, before = graded(
        tmp_path / "before", "counting_parameters", {"model": model, "hidden_layer_params": 15}
    )
    _, _, after = graded(
        tmp_path / "after", "counting_parameters", {"model": model, "hidden_layer_params": 20}
    )

    withheld = "count them yourself: shown once hidden_layer_params passes"
    assert withheld in text_of(before) and "+ 5 = 20" not in text_of(before)
    assert withheld not in text_of(after) and "3 inputs × 5 units + 5 = 20" in text_of(after)


def empty_cases(tmp_path: Path) -> dict:
    """Results with nothing to show, and the sentence their report must hold."""
    hello = COURSE.exercise("hello_nets")
    no_model, no_model_section, _ = graded(tmp_path / "no_model", "hello_nets", {})
    no_layers, no_layers_section, _ = graded(
        tmp_path / "no_layers", "hello_nets", {"model": keras.Sequential()}
    )
    return {
        "no export": (
            error_result("ann", "hello_nets", "not a notebook (not valid JSON)"),
            None,
            "not a notebook",
        ),
        "no model": (no_model, no_model_section, "Your notebook does not define `model`."),
        "no layers": (no_layers, no_layers_section, NO_LAYERS),
        "not submitted": (not_submitted("ann", hello), None, "Not submitted: nothing was handed in"),
        "grader error": (
            grader_failed("ann", "hello_nets", "it died"),
            None,
            "the grader failed on this notebook",
        ),
    }


def test_a_report_of_nothing_is_still_a_valid_page_that_says_why(tmp_path):
    for case, (result, section, sentence) in empty_cases(tmp_path).items():
        html = notebook_report(Path("hello_nets.ipynb"), result, section)
        assert page_problems(html) == [], case
        assert sentence in text_of(html), case
        assert differing_cells(html) == [], case


def test_every_figure_is_inline_with_its_alt_text_and_caption(tmp_path):
    figures = (
        Figure("Training curve", "loss 0.42 after 30 epochs", drawn_png(320, 200)),
        Figure("Confusion", "14 of 100", drawn_png(200, 200)),
    )
    result, section, _ = graded(tmp_path, "hello_nets", {"model": dense_model(2, (10, "relu"), (1, None))})
    html = notebook_report(Path("hello_nets.ipynb"), result, Section(section.model, "", figures, ""))

    assert page_problems(html) == []
    images = parsed(html).images
    assert [image["alt"] for image in images] == [f.alt for f in figures]
    assert [base64.b64decode(image["src"].split(",", 1)[1]) for image in images] == [f.png for f in figures]
    assert all(image["src"].startswith("data:image/png;base64,") for image in images)
    assert [c.strip() for c in re.findall(r"<figcaption>(.*?)</figcaption>", html)] == [
        f.title for f in figures
    ]


def test_the_checks_find_what_makes_a_page_not_self_contained_or_not_readable():
    html = (
        '<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="x">'
        "<style>@import 'https://fonts.example/a.css';</style></head><body><h1>a</h1><h3>b</h3>"
        '<img src="https://example.org/a.png"><a href="//example.org/b">b</a>'
        "<table><tr><th>x</th></tr></table><p></div></body></html>"
    )
    found = "\n".join(page_problems(html))
    for problem in (
        "@import",
        "https://example.org/a.png",
        "//example.org/b",
        "without alt text",
        "without a scope",
        "skip a level",
        "</div>",
    ):
        assert problem in found, problem


def test_a_section_is_used_only_with_the_result_of_the_notebook_it_was_drawn_from(tmp_path):
    figure = Figure("Curve", "loss 0.42", drawn_png(120, 80))
    stored = tmp_path / "results"
    (stored / "Zoë Núñez 李").mkdir(parents=True)
    (stored / "Zoë Núñez 李" / "hello_nets.json").write_text(json.dumps({"notebook_sha256": "a" * 64}))
    path = section_path(stored, "Zoë Núñez 李", "hello_nets")

    path.write_text(Section(None, "no model", (figure,), "a" * 64).to_json(), encoding="utf-8")
    assert kept_section(stored, "Zoë Núñez 李", "hello_nets") == Section(
        None, "no model", (figure,), "a" * 64
    )
    path.write_text(Section(None, "no model", (figure,), "b" * 64).to_json(), encoding="utf-8")
    assert kept_section(stored, "Zoë Núñez 李", "hello_nets") is None  # of another notebook
    path.write_text("{", encoding="utf-8")
    assert kept_section(stored, "Zoë Núñez 李", "hello_nets") is None
    assert kept_section(stored, "nobody", "hello_nets") is None


# What only a report needs: the drawing (matplotlib, seaborn), the templates (jinja2), and the
# module that draws a section. A grading without --report-section imports none of them.
REPORT_ONLY = ["matplotlib", "seaborn", "jinja2", "keras_course.grade.report_section"]
GRADE_AND_LIST_MODULES = """
import json, sys
from pathlib import Path
from keras_course.grade.grading import grader_args, run_grader_here
out = Path(sys.argv[1]) / "result.json"
result = run_grader_here(grader_args("hello_nets", out, *sys.argv[2:]), out, "hello_nets")
print(json.dumps([result.score, [m for m in {modules!r} if m in sys.modules]]))
"""


def grade_elsewhere(tmp_path: Path, *options: str) -> list:
    """Grade an export in a fresh Python process: its score, and which REPORT_ONLY it imported."""
    script = GRADE_AND_LIST_MODULES.format(modules=REPORT_ONLY)
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), *options], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_grading_without_a_report_draws_nothing_and_imports_nothing_of_it(tmp_path):
    grade_variables({"model": dense_model(2, (10, "relu"), (1, None))}, "hello_nets", tmp_path)
    artifacts = f"--artifacts={tmp_path / 'artifacts'}"

    assert grade_elsewhere(tmp_path, artifacts) == [4.0, []]
    score, imported = grade_elsewhere(tmp_path, artifacts, f"--report-section={tmp_path / 'drawn.json'}")
    assert score == 4.0 and "keras_course.grade.report_section" in imported
    assert read_section(tmp_path / "drawn.json").model is not None
