"""The one error a user is told in one line: bad input (a file, a folder, course.toml, an option).

It sits at the very bottom of the package, so that every layer can raise it; the front ends
(cli.py, the pytest plugin) turn it into a line and an exit code or a result.
"""

from __future__ import annotations


class CourseError(Exception):
    """A problem the user must fix, told in one line."""


class ExportError(Exception):
    """A learner's export that the grader cannot read as it should be (a file missing, odd or too
    large, a model that does not add up): not the user's bad input but the learner's work, told
    to the learner as a failed check (checks/submission.py), never as an exit code."""
