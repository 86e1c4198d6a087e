"""The `keras-course` command: start, list, check, grade, demo, nbgrader, classroom (a GitHub
Classroom template), gradescope (its autograders), plus data, stubs and worker (a Dask worker for
`grade --scheduler`).

Exit codes: 0 full marks (check: of the checks that run here; checks on held-out data are
pending in the learner package) or success, 1 not full marks (check), 2 bad input with a
one-line error (also: a batch with nothing to grade), 3 a batch graded and reported in which the
grader failed on some notebooks (their results say so; --resume grades them again), 130 and 143
for a batch stopped by Ctrl-C or SIGTERM. Warnings (files a batch does not grade, and why) go to
stderr.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

from keras_course.cli_parser import build_parser
from keras_course.course.config import Course, load_course
from keras_course.course.errors import CourseError
from keras_course.course.roster import Learner
from keras_course.grade.layouts import Found, find_submissions
from keras_course.grade.result_store import RESULTS_DIR
from keras_course.grade.settings import Settings
from keras_course.report.github import NOTE as GITHUB_NOTE
from keras_course.report.github import step_files, whole_points, write_step_outputs
from keras_course.report.notices import warn
from keras_course.report.results import (
    Result,
    checklist,
    summary_table,
    to_csv,
    to_json,
    to_junit,
    write_atomic,
)

GRADER_ERRORS = 3  # grade's exit code when the grader failed on some notebooks (README "For CI")


def cmd_start(args: argparse.Namespace) -> int:
    from keras_course.start import start  # lazy: per command (start-up)

    folder = Path(args.folder)
    for path in start(folder, force=args.force):
        print(f"wrote {path}")
    first = next(iter(load_course().exercises))
    print(
        f"Next: open {folder / first}.ipynb in Jupyter; check your work with its last cell, "
        f"or in a terminal: keras-course check {folder / first}.ipynb"
    )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    course = load_course()
    width = max(len(i) for i in course.exercises)
    for exercise in course.exercises.values():
        print(f"{exercise.id:<{width}}  {exercise.max_score:>4g} pts  {exercise.title}")
    return 0


def settings_of(args: argparse.Namespace, course: Course, command: str) -> Settings:
    """The settings a command was given, its sandbox mode course.toml's where none was."""
    return Settings(args.seed, args.timeout, args.memory, course.sandbox_mode(args.sandbox, command))


def cmd_check(args: argparse.Namespace) -> int:
    result = check_for_github(args) if args.github else check_result(args)
    if args.json:
        print(to_json([result]))
    else:
        print(checklist(result, color=sys.stdout.isatty(), note=GITHUB_NOTE if args.github else None))
    if args.html:
        print(f"wrote {args.html}", file=sys.stderr if args.json else sys.stdout)
    if args.github:  # the step's result is written: the reporter, not this step, fails the run
        return 0
    return 0 if result.passed_here else 1


def check_result(args: argparse.Namespace) -> Result:
    from keras_course.grade.grading import exercise_of, grade_notebook  # lazy: per command (start-up)
    from keras_course.run.notebook_file import read_submission  # lazy: per command (start-up)
    from keras_course.run.sandbox import isolation  # lazy: per command (start-up)

    notebook = Path(args.notebook)
    exercise_id = exercise_of(notebook, args.exercise)
    read_submission(notebook, exercise_id)  # bad input fails here, before any kernel starts
    settings = settings_of(args, load_course(), "check")
    isolation(settings.sandbox)  # "required" where the sandbox cannot run: one line, before any kernel starts
    if args.html:
        from keras_course.grade.html_reports import checked_with_report  # lazy: only a report draws

        return checked_with_report(Path(args.html), notebook, exercise_id, "", settings)
    return grade_notebook(notebook, exercise_id, "", settings, here=True)


def check_for_github(args: argparse.Namespace) -> Result:
    """check --github: the result, written as the step's output for GitHub Classroom's reporter.
    A notebook that cannot be checked (missing, not a notebook) is an error result of no points,
    so that the workflow's other exercises are graded and the reporter counts this one."""
    from keras_course.course.data import heldout_available  # lazy: per command (start-up)
    from keras_course.grade.grading import error_result  # lazy: per command (start-up)

    if args.exercise is None:
        raise CourseError("--github needs --exercise: the step's result is the exercise's")
    exercise = load_course().exercise(args.exercise)
    whole_points(exercise)  # refused before any kernel starts, as a missing GITHUB_OUTPUT is
    step_files()
    try:
        result = check_result(args)
    except CourseError as exc:
        result = error_result("", exercise.id, str(exc))
        for check in result.checks:  # as the grader has them: pending where no held-out data is
            check.pending = check.name in exercise.hidden and not heldout_available()
    write_step_outputs(result, exercise)
    return result


def write_reports(
    results: list[Result],
    args: argparse.Namespace,
    learners: dict[str, Learner] | None = None,
    results_dir: Path | None = None,
) -> None:
    """The report files the options ask for, and the summary table on stdout; with --html-dir,
    the HTML reports, drawn with the sections kept in results_dir. A file that cannot be written
    does not keep the others from being written: a one-line error names it after."""
    learners = learners or {}
    names = {learner_id: who.name for learner_id, who in learners.items()}
    unwritten = []
    for path, text in report_texts(results, args, learners).items():
        try:
            write_atomic(Path(path), text)
        except OSError as exc:
            unwritten.append(f"{path} ({exc.strerror or exc})")
    print(summary_table(results, list(load_course().exercises), names))
    if getattr(args, "html_dir", None) and results_dir is not None:
        from keras_course.grade.html_reports import write_html_dir  # lazy: only a report renders

        try:
            index = write_html_dir(Path(args.html_dir), results, results_dir, names)
            print(f"HTML reports: the class dashboard is {index.resolve()}")
        except CourseError as exc:
            unwritten.append(str(exc))
    if unwritten:
        kept = "the results are stored: --resume writes the reports without grading again"
        raise CourseError(f"cannot write {', '.join(unwritten)}; {kept}")


def report_texts(results: list[Result], args: argparse.Namespace, learners: dict[str, Learner]) -> dict:
    """The text of each report file the options ask for, by its path."""
    course = load_course()
    names = {learner_id: who.name for learner_id, who in learners.items()}
    texts = {args.json: to_json(results), args.junit: to_junit(results)}
    if args.csv and getattr(args, "lms", None) == "canvas":
        from keras_course.report.lms import to_canvas  # the LMS formats, only when asked for

        texts[args.csv] = to_canvas(results, course, learners)
    elif args.csv and getattr(args, "lms", None) == "moodle":
        from keras_course.report.lms import to_moodle  # the LMS formats, only when asked for

        texts[args.csv], left_out = to_moodle(results, course, learners)
        if left_out:
            warn(f"{args.csv}: left out (no email address in the roster): {', '.join(left_out)}")
    elif args.csv:
        texts[args.csv] = to_csv(results, list(course.exercises), names)
    return {path: text for path, text in texts.items() if path}


def discover(folder: Path) -> Found:
    """What the folder holds; each file not graded is a warning, and nothing to grade an error."""
    found = find_submissions(folder, load_course())
    for skipped in found.skipped:
        warn(f"{folder / skipped.path.relative_to(found.folder)}: not graded: {skipped.reason}")
    if found.expected:
        kinds = "hidden files, nbgrader's timestamp.txt, the course's data files"
        note = f"{found.expected} file(s) beside the notebooks not graded, as expected ({kinds})"
        print(f"keras-course: note: {note}", file=sys.stderr)
    if not found.jobs:
        others = f"; {len(found.skipped)} files not graded, see above" if found.skipped else ""
        raise CourseError(f"{folder}: no notebook of the course's exercises to grade{others}")
    return found


def learners_of(found: Found, roster: dict[str, Learner]) -> dict[str, Learner]:
    """Everyone in the roster, and everyone who handed something in, by id; a learner the
    roster does not list is named as their files name them, with a warning."""
    learners = dict(roster)
    for learner_id, name in sorted(found.names.items()):
        if learner_id not in learners:
            if roster:
                warn(f"learner {learner_id} ({name}) is not in the roster")
            learners[learner_id] = Learner(learner_id, name)
    return learners


def cmd_grade(args: argparse.Namespace) -> int:
    from keras_course.course.roster import read_roster  # lazy: per command (start-up)
    from keras_course.grade.batch import grade_folder  # lazy: per command (start-up)
    from keras_course.report.progress import BatchProgress  # lazy: per command (start-up)
    from keras_course.run.sandbox import isolation  # lazy: per command (start-up)

    settings = settings_of(args, load_course(), "grade")
    isolation(settings.sandbox)  # refused before anything is read
    if args.lms and not args.csv:
        raise CourseError(f"--lms {args.lms} writes the --csv file in its format: give --csv FILE")
    roster = read_roster(Path(args.roster)) if args.roster else {}
    if args.lms == "moodle" and not any(who.email for who in roster.values()):
        raise CourseError(
            "--lms moodle: Moodle's grade import finds learners by email: give --roster with emails"
        )
    folder = Path(args.folder)
    found = discover(folder)
    learners = learners_of(found, roster)
    results_dir = Path(args.results_dir) if args.results_dir else folder.resolve() / RESULTS_DIR

    with BatchProgress() as progress:
        results = grade_folder(
            folder,
            settings,
            found=found,
            learners=roster,
            jobs_at_once=args.jobs,
            scheduler=args.scheduler or args.scheduler_file,
            resume=args.resume,
            results_dir=args.results_dir,
            progress=progress,
            sections=bool(args.html_dir),
        )
    write_reports(results, args, learners, results_dir)
    return batch_exit_code(results)


def batch_exit_code(results: list[Result]) -> int:
    """0 for a batch graded, GRADER_ERRORS when the grader failed on some notebooks (with one
    line that says so): their reports are written all the same."""
    failed = sum(r.grader_error for r in results)
    if not failed:
        return 0
    warn(f"the grader failed on {failed} notebook(s), not graded yet: run again with --resume to grade them")
    return GRADER_ERRORS


def cmd_worker(args: argparse.Namespace) -> int:
    if (args.address is None) == (args.scheduler_file is None):
        raise CourseError("worker: give the scheduler's address or --scheduler-file, one of the two")
    if args.slots < 1:
        raise CourseError(f"worker: --slots {args.slots}: give 1 or more")
    from keras_course.grade.dask_worker import run_worker  # lazy: per command (start-up)

    run_worker(args.address, args.slots, args.scheduler_file, args.local_directory)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from keras_course.course.paths import SAMPLES, SOLUTIONS, instructor_only  # lazy: per command (start-up)
    from keras_course.grade.batch import grade_folder  # lazy: per command (start-up)

    instructor_only(SOLUTIONS, "the demo")
    instructor_only(SAMPLES, "the demo")
    with tempfile.TemporaryDirectory(prefix="keras-course-demo-") as tmp:
        folder = Path(tmp)
        shutil.copytree(SOLUTIONS, folder / "reference", ignore=shutil.ignore_patterns("*.csv"))
        for sample in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
            shutil.copytree(sample, folder / sample.name)
        print(f"Grading the reference solutions and the samples in {SAMPLES} ...", flush=True)
        results = grade_folder(
            folder, found=discover(folder), jobs_at_once=args.jobs, sections=bool(args.html_dir)
        )
        for result in results:  # the samples' mistakes; the gradebook below shows what was not submitted
            if result.learner != "reference" and result.score < result.max_score and result.submitted:
                print(checklist(result))
        print()
        write_reports(results, args, results_dir=folder / RESULTS_DIR)  # the sections are in folder
    return batch_exit_code(results)


def cmd_data(args: argparse.Namespace) -> int:
    from keras_course.course import data  # lazy: per command (start-up)

    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = sorted({name for ex in load_course().exercises.values() for name in ex.data})
    for name in names:
        print(f"wrote {data.write_learner_file(name, folder)}")
    return 0


def cmd_nbgrader(args: argparse.Namespace) -> int:
    from keras_course.author.nbgrader_course import write_course  # lazy: per command (start-up)

    folder = Path(args.folder)
    for path in write_course(folder):
        print(f"wrote {path}")
    print(f'Next: cd {folder} && . ./activate && nbgrader generate_assignment "*" (see the README).')
    return 0


def cmd_classroom(args: argparse.Namespace) -> int:
    from keras_course.author.classroom import write_template  # lazy: per command (start-up)

    folder = Path(args.folder)
    for path in write_template(folder, args.assignment, args.wheel, args.scoring):
        print(f"wrote {path}")
    print(f"Next: push {folder} to a template repository on GitHub and make it an assignment's starter code.")
    return 0


def cmd_gradescope(args: argparse.Namespace) -> int:
    from keras_course.author.gradescope_zip import write_autograders  # lazy: per command (start-up)
    from keras_course.grade.gradescope_submission import gigabytes  # lazy: per command (start-up)

    wheel = Path(args.wheel) if args.wheel else None
    for made in write_autograders(Path(args.folder), wheel, args.minutes):
        settings = f"memory at least {gigabytes(made.memory_mb)}, timeout {made.minutes} minutes"
        print(f"wrote {made.path} (Gradescope's Autograder Settings: {settings})")
        if made.needed_minutes > made.minutes:
            need = f"its notebooks may need {made.needed_minutes} minutes"
            warn(f"{made.path}: {need}; those that do not fit are not graded: lower [limits] timeout")
    return 0


def cmd_stubs(args: argparse.Namespace) -> int:
    from keras_course.author.stubs import write_stubs  # lazy: per command (start-up)

    for path in write_stubs(list(load_course().exercises)):
        print(f"wrote {path}")
    return 0


COMMANDS = {
    "start": cmd_start,
    "list": cmd_list,
    "check": cmd_check,
    "grade": cmd_grade,
    "worker": cmd_worker,
    "demo": cmd_demo,
    "data": cmd_data,
    "nbgrader": cmd_nbgrader,
    "classroom": cmd_classroom,
    "gradescope": cmd_gradescope,
    "stubs": cmd_stubs,
}


def main(argv: list[str] | None = None) -> int:
    if not sys.warnoptions:  # what the command prints is its own; -W or PYTHONWARNINGS shows them
        warnings.simplefilter("ignore")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except CourseError as exc:
        print(f"keras-course: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print("keras-course: interrupted (graded results are kept: --resume)", file=sys.stderr)
        return getattr(exc, "exit_code", 130)
