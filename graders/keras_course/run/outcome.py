"""What a run of a notebook produced: its outcome (RunResult) and the learner's cell errors,
each placed in the notebook as Jupyter shows it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

RUN_FILE = "run.json"  # beside exported variables: the cell errors of a run graded elsewhere
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # the colours of ipykernel's tracebacks
CELL_FRAME = re.compile(r"Cell In\[\d+\], line (\d+)")  # IPython 8+: "Cell In[3], line 5"
ARROW = re.compile(r"^-+>\s*(\d+)", re.MULTILINE)  # the marked line of a frame: "----> 5 ..."


def failing_line(traceback: list[str]) -> int:
    """The line, within the cell, of the statement that failed, from an error output's
    traceback as ipykernel sends it (ANSI colours included): the first frame is the cell's own,
    named "Cell In[N], line L" (older IPython marks the line with an arrow). 0 if none shows."""
    text = ANSI.sub("", "\n".join(str(entry) for entry in traceback))
    found = CELL_FRAME.search(text) or ARROW.search(text)
    return int(found.group(1)) if found else 0


@dataclass(frozen=True)
class CellError:
    """An exception raised by one of the learner's cells, which it names as Jupyter shows it."""

    cell: int  # 1-based position among all the notebook's cells, markdown included; 0: unknown
    line: int  # 1-based line of the failing statement within the cell; 0: unknown
    code: str  # that line, or the cell's first line when the line is unknown
    ename: str
    evalue: str
    count: int = 0  # the cell's execution count [N], where its position is unknown (nbgrader)
    source_key: str = ""  # digest of the cell's source, by which place_cell_errors finds its position

    @classmethod
    def of(
        cls, source: str, ename: str, evalue: str, *, cell: int = 0, line: int = 0, count: int = 0
    ) -> CellError:
        """The error of a cell with this source; evalue is cut to its first line."""
        lines = source.splitlines()
        line = line if 0 < line <= len(lines) else 0
        code = shorten(lines[line - 1]) if line else first_line(source)
        first = (str(evalue).splitlines() or [""])[0][:300]
        key = source_key(source)
        return cls(cell=cell, line=line, code=code, ename=ename, evalue=first, count=count, source_key=key)

    def describe(self) -> str:
        if self.cell:
            where = f"Cell {self.cell}"
        elif self.count:
            where = f"The cell run as [{self.count}]"
        else:
            where = "A cell"
        if self.line:
            where += f", line {self.line} (`{self.code}`)"
        elif self.code:
            where += f" (`{self.code}`)"
        if self.ename == "NotImplementedError":
            return f"{where} is not filled in yet: replace `raise NotImplementedError()`."
        return f"{where} stopped with {self.ename}: {self.evalue}"


def source_key(source: str) -> str:
    """A short digest of a cell's source."""
    return hashlib.sha256(source.encode("utf-8", "replace")).hexdigest()[:16]


def place_cell_errors(errors: list[dict], nb: nbformat.NotebookNode) -> list[dict]:
    """Cell errors recorded inside a kernel, which does not know where its cells stand in the
    notebook (nbgrader's test cells), with each cell's position in nb found by its source."""
    positions: dict[str, int] = {}
    for position, cell in enumerate(nb.cells, start=1):
        if cell.cell_type == "code":
            positions.setdefault(source_key(cell.source), position)
    placed = []
    for error in errors:
        position = positions.get(str(error.get("source_key")), 0) if isinstance(error, dict) else 0
        placed.append({**error, "cell": position} if position and not error.get("cell") else error)
    return placed


@dataclass
class RunResult:
    """What running one notebook produced."""

    artifacts: Path | None
    cell_errors: list[CellError] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    isolation: str = "none"  # what the kernel ran under: "sandbox", "user" or "none" (sandbox.py)
    peak_tasks: int = 0  # the most processes and threads the kernel's tree had at once


def shorten(line: str) -> str:
    line = line.strip()
    return line if len(line) <= 60 else line[:57] + "..."


def first_line(source: str) -> str:
    return next((shorten(line) for line in source.splitlines() if line.strip()), "")
