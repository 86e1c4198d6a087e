"""The HTML reports in a real browser: Debian's chromium, driven by Playwright for Python
(Playwright's own browser download is not used), headless with a fresh profile.

A small class is graded for real in this process (run_here.py: the notebooks' variables
exported as a kernel exports them, the real pytest graders, the sections drawn as a grading
process draws them), its reports and dashboard written as `grade --html-dir` writes them. In
the browser: no console error, no page error and no request at all (every request is routed, and
any that is not of the pages' own files or a data: URI fails the test); every image loaded at a
real size; the learners' table sorts on a click; every link to a learner's report resolves.
Screenshots of a learner's report and of the dashboard are written beside the test's files and
copied to .cache/screenshots/ of the repository. `make test-browser` runs these tests, `make test` does not.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from html_checks import drawn_png
from keras_course.course.config import load_course
from keras_course.course.paths import ROOT
from keras_course.grade.batch import not_submitted
from keras_course.grade.html_reports import read_section, write_batch_reports
from keras_course.report.dashboard import report_file_name
from keras_course.report.figure import Figure
from keras_course.report.section import Section
from run_here import dense_model, grade_variables

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / ".cache" / "screenshots"  # git ignores .cache/
COURSE = load_course()


# The class: (learner, exercise, the variables their notebook left).
CLASS = [
    ("Zoë Núñez 李", "hello_nets", lambda: {"model": dense_model(2, (10, "relu"), (1, None))}),
    (
        "Zoë Núñez 李",
        "counting_parameters",
        lambda: {"model": dense_model(3, (4, "relu"), (1, None)), "hidden_layer_params": 15},
    ),
    ("ann", "hello_nets", lambda: {"model": dense_model(2, (32, "relu"), (1, "sigmoid"))}),
    ("bob", "build_as_shown", lambda: {"model": dense_model(2, (3, "relu"), (1, None))}),
    ("bob", "hello_nets", lambda: {}),
]


def curve() -> Figure:
    """A figure drawn with matplotlib, as the grader draws its plots (grade/figures.py), so that
    the reports hold an image whatever the exercises' plots draw."""
    title = "Training curve, as your notebook recorded it"
    return Figure(title, "loss 0.90 after 1 epoch, 0.25 after 4", drawn_png(500, 300))


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    """The class's reports and dashboard, in a folder of their own."""
    results, sections = [], {}
    for learner, exercise, variables in CLASS:
        work = tmp_path_factory.mktemp("graded")
        result = grade_variables(variables(), exercise, work, section=work / "section.json")
        result.learner = learner
        results.append(result)
        sections[(learner, exercise)] = read_section(work / "section.json")
    drawn = sections[("Zoë Núñez 李", "hello_nets")]
    sections[("Zoë Núñez 李", "hello_nets")] = Section(
        drawn.model, drawn.about_model, (*drawn.figures, curve()), ""
    )
    handed_in = {(learner, exercise) for learner, exercise, _ in CLASS}
    for learner in sorted({learner for learner, _, _ in CLASS}):
        results += [
            not_submitted(learner, e) for e in COURSE.exercises.values() if (learner, e.id) not in handed_in
        ]
    folder = tmp_path_factory.mktemp("reports")
    write_batch_reports(
        folder, results, lambda r: sections.get((r.learner, r.exercise)), {"ann": "Ann Example"}
    )
    return folder


class Watched:
    """A browser page whose console errors, page errors and requests are recorded; a request
    for anything but the reports' own files and data: URIs is refused."""

    def __init__(self, page) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.route("**/*", self.route)

    def route(self, route) -> None:
        url = route.request.url
        if url.startswith(("file://", "data:")):
            route.continue_()
        else:
            self.problems.append(f"a request to {url}")
            route.abort()

    def open(self, path: Path) -> None:
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Debian's chromium, headless, with a fresh profile."""
    if not CHROMIUM.is_file():
        pytest.fail(f"no {CHROMIUM}: run `make install` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright  # lazy: only the browser tests need it

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu"],
        )
        yield context
        context.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    yield Watched(page)
    page.close()


def images(page) -> list[list]:
    return page.evaluate(
        "Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight])"
    )


def test_every_page_loads_its_images_with_no_error_and_no_request(reports, page):
    pages = sorted(reports.glob("*.html"))
    assert len(pages) == 4  # the dashboard and three learners
    loaded = []
    for path in pages:
        page.open(path)
        for alt, complete, width, height in images(page.page):
            assert complete and width > 0 and height > 0, (path.name, alt)
            loaded.append(alt)
    assert page.problems == []
    assert "loss 0.90 after 1 epoch, 0.25 after 4" in loaded


def column(page, number: int) -> list[str]:
    return page.eval_on_selector_all(
        f"table.sortable tbody tr > :nth-child({number})", "cells => cells.map(c => c.textContent.trim())"
    )


def test_the_learners_table_sorts_on_click(reports, page):
    page.open(reports / "index.html")
    total = len(COURSE.exercises) + 2  # learner, the exercises, total
    header = page.page.locator("table.sortable thead th").nth(total - 1)

    header.locator("button").click()
    ascending = [float(v) for v in column(page.page, total)]
    assert ascending == sorted(ascending) and len(set(ascending)) > 1
    assert header.get_attribute("aria-sort") == "ascending"
    header.locator("button").click()
    assert [float(v) for v in column(page.page, total)] == sorted(ascending, reverse=True)
    assert header.get_attribute("aria-sort") == "descending"
    learner = page.page.locator("table.sortable thead th").nth(0).locator("button")
    learner.click()  # by name, in the reader's order
    assert column(page.page, 1) == ["Ann Example (ann)", "bob", "Zoë Núñez 李"]
    learner.click()
    assert column(page.page, 1) == ["Zoë Núñez 李", "bob", "Ann Example (ann)"]
    assert page.problems == []


def test_every_link_to_a_learners_report_resolves(reports, page):
    page.open(reports / "index.html")
    links = page.page.locator("table.sortable tbody a")
    assert links.count() == 3
    for number in range(links.count()):
        link = page.page.locator("table.sortable tbody a").nth(number)
        name = link.inner_text()
        link.click()
        page.page.wait_for_load_state("load")
        assert (
            page.page.url.endswith(".html") and Path(page.page.url.removeprefix("file://")).parent == reports
        )
        assert name.split(" (")[0] in page.page.locator("h1").inner_text()
        page.page.go_back()
    assert page.problems == []


def test_screenshots_of_a_learners_report_and_of_the_dashboard(reports, page, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.page.set_viewport_size({"width": 1100, "height": 900})
    for path, name in (
        (reports / report_file_name("Zoë Núñez 李"), "learner-report.png"),
        (reports / "index.html", "dashboard.png"),
    ):
        page.open(path)
        page.page.screenshot(path=tmp_path / name, full_page=True)
        assert (tmp_path / name).stat().st_size > 10_000
        shutil.copy(tmp_path / name, SHOTS / name)
    assert page.problems == []


def test_the_watch_catches_a_request_a_console_error_and_a_page_error(tmp_path, page):
    """What the tests above look for, on a page that has each: a request is refused before it
    leaves (to the loopback, which nothing serves), and both errors are recorded."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!doctype html><html lang="en"><head><title>bad</title></head><body>'
        '<img alt="far" src="http://127.0.0.1:9/far.png">'
        "<script>console.error('broken'); undefinedFunction();</script></body></html>",
        encoding="utf-8",
    )
    page.open(bad)
    found = "\n".join(page.problems)
    assert "a request to http://127.0.0.1:9/far.png" in found
    assert "console: broken" in found and "undefinedFunction" in found
    (_, _, width, _) = images(page.page)[0]
    assert width == 0
