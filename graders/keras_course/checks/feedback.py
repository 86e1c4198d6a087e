"""How a check tells the learner what it found.

A failed check raises CheckFailed with a message in course words (`fail`). A passed check
states what it measured on the learner's work (`passed`), not what it expected: the plugin
shows that sentence with the ✓. The plugin empties the record before each check and reads it
after; checks run one at a time in a grading process.
"""

from __future__ import annotations


class CheckFailed(AssertionError):
    """A check failed; the message is shown to the learner as it is. measured is the value the
    check found, in a few words ("layer 2: 32 units"), by which a class's failures are counted."""

    def __init__(self, message: str, measured: str = "") -> None:
        super().__init__(message)
        self.measured = measured


_measured: list[str] = []  # what the running check measured: at most one sentence


def fail(message: str, measured: str = "") -> None:
    """Fail the current check with a learner-facing message, and the value it measured."""
    __tracebackhide__ = True
    raise CheckFailed(message, measured)


def passed(message: str) -> None:
    """Say what the current check measured on the learner's work, for its ✓ feedback."""
    _measured[:] = [message]


def take_measured() -> str | None:
    """What the check that just ran measured, if it said; the record is emptied."""
    message = _measured[0] if _measured else None
    _measured.clear()
    return message


def ordinal(n: int) -> str:
    words = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}
    return words.get(n, f"{n}th")


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
