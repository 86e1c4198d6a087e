"""SIGTERM made an exception in the main thread, so that a process asked to stop still ends its
kernels and removes its folders on the way out."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def sigterm_raises(
    make: Callable[[int], BaseException] = lambda signum: KeyboardInterrupt(f"stopped by signal {signum}"),
) -> Iterator[None]:
    """In the main thread, make SIGTERM raise make(signum) (a KeyboardInterrupt by default), so
    that a process asked to stop still ends its kernels and removes its folders on the way
    out; a second SIGTERM meanwhile is ignored, so that it cannot cut that clean-up short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise make(signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
