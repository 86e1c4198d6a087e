"""The `keras-course` command line: its subcommands and options, one function per subcommand.
The subcommand's name is `args.command`, by which cli.py runs it (cli.COMMANDS)."""

from __future__ import annotations

import argparse

from keras_course.course.config import SANDBOX_MODES


def report_options(p: argparse.ArgumentParser) -> None:
    """The report files of the commands that grade several notebooks."""
    p.add_argument("--json", help="write the results as JSON to this file")
    p.add_argument("--csv", help="write the gradebook CSV to this file")
    p.add_argument("--junit", help="write JUnit XML to this file")
    p.add_argument("--jobs", type=int, default=None, help="notebooks graded at once")
    p.add_argument(
        "--html-dir",
        metavar="DIR",
        help="write an HTML report per learner and the class dashboard, DIR/index.html",
    )


def add_start(sub: argparse._SubParsersAction) -> None:
    start = sub.add_parser("start", help="write the exercise notebooks and their data files into a folder")
    start.add_argument("folder")
    start.add_argument("--force", action="store_true", help="overwrite notebooks that are there already")


def add_list(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("list", help="list the exercises and their points")


def add_check(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser("check", help="grade one notebook and show what to fix")
    check.add_argument("notebook")
    check.add_argument(
        "--exercise", help="exercise id (default: the notebook's metadata, else its file name)"
    )
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    check.add_argument("--seed", type=int, default=None)
    check.add_argument("--timeout", type=float, default=None, help="seconds for the notebook")
    check.add_argument("--memory", type=float, default=None, help="MB for the notebook's processes")
    check.add_argument("--sandbox", choices=SANDBOX_MODES, help="Linux sandbox (default: course.toml, auto)")
    check.add_argument(
        "--github",
        action="store_true",
        help="in a GitHub Actions step (GitHub Classroom): write the result, a test per check, as the "
        "step's output `result` and the checklist to its summary; needs --exercise; exit 0 once written",
    )
    check.add_argument(
        "--html", metavar="FILE", help="also write the report as one HTML file: checklist, model, figures"
    )


def add_grade(sub: argparse._SubParsersAction) -> None:
    from keras_course.report.lms import LMS  # lazy: the gradebook formats (start-up)

    grade = sub.add_parser(
        "grade",
        help="grade a folder of submissions: a folder per learner, or as Canvas or Moodle deliver them",
        description=(
            "Grade every notebook under FOLDER: one folder per learner (nbgrader's submitted/ too), "
            "Canvas's 'Download Submissions' (every file at the top), or Moodle's 'Download all "
            "submissions'. A notebook's exercise comes from its metadata, else its file name. "
            "Files not graded are listed on stderr with the reason. Exit code 0: graded and "
            "reported; 2: bad input, or nothing to grade; 3: graded and reported, but the grader "
            "failed on some notebooks (--resume grades them again); 130/143: stopped (graded "
            "results are kept)."
        ),
    )
    grade.add_argument("folder")
    report_options(grade)
    grade.add_argument(
        "--lms",
        choices=LMS,
        help="write --csv in the grade import format of Canvas or Moodle: one column per assignment",
    )
    grade.add_argument(
        "--roster",
        help="CSV file of the learners: columns id (as the submissions carry it) and name; optional "
        "email (needed by --lms moodle), sis_id, login_id, section. Canvas's gradebook export and "
        "Moodle's grading worksheet are read as they are.",
    )
    grade.add_argument("--seed", type=int, default=None)
    grade.add_argument("--timeout", type=float, default=None, help="seconds per notebook")
    grade.add_argument("--memory", type=float, default=None, help="MB per notebook's processes")
    grade.add_argument(
        "--sandbox", choices=SANDBOX_MODES, help="Linux sandbox (default: course.toml, required)"
    )
    grade.add_argument("--resume", action="store_true", help="grade only what is not stored yet")
    grade.add_argument("--results-dir", help="where each result is stored (DIR/.keras-course-results)")
    cluster = grade.add_mutually_exclusive_group()
    cluster.add_argument("--scheduler", help="grade on this Dask cluster: its scheduler, tcp://HOST:8786")
    cluster.add_argument("--scheduler-file", help="grade on the Dask cluster this scheduler file names")


def add_worker(sub: argparse._SubParsersAction) -> None:
    worker = sub.add_parser(
        "worker",
        help="serve a Dask cluster as a grading worker (pip install 'keras-course[dask]')",
        description="Start a Dask worker that grades notebooks for `keras-course grade --scheduler`: "
        "SLOTS notebooks at once, each in its own grading process and kernel, under the same "
        "limits and sandbox as a local batch.",
    )
    worker.add_argument("address", nargs="?", help="the scheduler, tcp://HOST:8786")
    worker.add_argument("--scheduler-file", help="the scheduler file that names the scheduler")
    worker.add_argument("--slots", type=int, default=1, help="notebooks graded at once (default 1)")
    worker.add_argument(
        "--local-directory",
        help="where the worker keeps its files, in a folder only it may enter (default: the "
        "temporary folder)",
    )


def add_demo(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="grade the reference solutions and the sample submissions")
    report_options(demo)


def add_data(sub: argparse._SubParsersAction) -> None:
    data = sub.add_parser("data", help="write the data files the notebooks read into a folder")
    data.add_argument("folder")


def add_nbgrader(sub: argparse._SubParsersAction) -> None:
    nbgrader = sub.add_parser("nbgrader", help="write an nbgrader course directory for every assignment")
    nbgrader.add_argument("folder")


def add_classroom(sub: argparse._SubParsersAction) -> None:
    classroom = sub.add_parser(
        "classroom",
        help="write a GitHub Classroom template repository with its autograding workflow",
        description="Write into FOLDER the exercises' notebooks (one already there is kept), their "
        "data files, the learner package and .github/workflows/classroom.yml, which grades each "
        "notebook on every push and reports the points to GitHub Classroom.",
    )
    classroom.add_argument("folder")
    classroom.add_argument(
        "--assignment", help="grade only this assignment's exercises (course.toml [assignments])"
    )
    classroom.add_argument("--wheel", help="the learner package to install (default: dist/ of `make dist`)")
    classroom.add_argument(
        "--scoring",
        choices=("checks", "notebook"),
        default="checks",
        help="checks: credit check by check (default); notebook: the stock command grader, each "
        "exercise's points all or nothing",
    )


def add_gradescope(sub: argparse._SubParsersAction) -> None:
    gradescope = sub.add_parser(
        "gradescope",
        help="write a Gradescope autograder zip for each assignment",
        description="Write OUT/<assignment>.zip for each assignment of course.toml: Gradescope's "
        "setup.sh and run_autograder, the learner wheel and the held-out data (README 'Gradescope').",
    )
    gradescope.add_argument("folder")
    gradescope.add_argument(
        "--wheel", help="the learner wheel to install (default: built here, as make dist)"
    )
    gradescope.add_argument(
        "--minutes", type=int, help="the timeout of the Autograder Settings (default: what course.toml needs)"
    )


def add_stubs(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("stubs", help="regenerate exercises/ from solutions/")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="keras-course", description="Autograded exercises for Introduction to Deep Learning with Keras."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add_start(sub)
    add_list(sub)
    add_check(sub)
    add_grade(sub)
    add_worker(sub)
    add_demo(sub)
    add_data(sub)
    add_nbgrader(sub)
    add_classroom(sub)
    add_gradescope(sub)
    add_stubs(sub)
    return parser
