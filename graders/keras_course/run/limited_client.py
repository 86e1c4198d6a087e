"""An nbclient NotebookClient that counts what a notebook prints and stops it past its limit.

Every output message (printed text, images, errors) adds the size of its content. Past the limit
the client asks the Watchdog to end the kernel's tree and keeps no more output; nbclient then
finds the kernel dead and the run ends with the watchdog's reason, "output".
"""

from __future__ import annotations

import json
from typing import Any

from nbclient import NotebookClient

from keras_course.run.watchdog import Watchdog


def output_size(content: dict) -> int:
    """The size in bytes of one output message's content, as JSON."""
    return len(json.dumps(content, ensure_ascii=False, default=str).encode("utf-8", "replace"))


class LimitedClient(NotebookClient):
    """A NotebookClient whose notebook may print at most output_limit bytes."""

    def __init__(self, nb: Any, *, watchdog: Watchdog, output_limit: int, **kwargs: Any) -> None:
        super().__init__(nb, **kwargs)
        self.watchdog = watchdog
        self.output_limit = output_limit
        self.printed = 0

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:
        if self.watchdog.reason is not None:
            return None  # the run is ending: keep nothing more
        self.printed += output_size(msg.get("content") or {})
        if self.printed > self.output_limit:
            self.watchdog.stop("output")
            return None
        return super().output(outs, msg, display_id, cell_index)
