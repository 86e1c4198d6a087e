"""How a check tells the learner what to fix: raise CheckFailed with a message in course words."""

from __future__ import annotations


class CheckFailed(AssertionError):
    """A check failed; the message is shown to the learner as it is."""


def fail(message: str) -> None:
    """Fail the current check with a learner-facing message."""
    __tracebackhide__ = True
    raise CheckFailed(message)


def ordinal(n: int) -> str:
    words = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}
    return words.get(n, f"{n}th")


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
