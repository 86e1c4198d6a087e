"""Imports point one way: no circle among the package's modules, and no layer imports one above
it (README "Layout"). Read from the code: every import of keras_course in every module, the lazy
ones inside functions too."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from keras_course.course.paths import GRADERS

PACKAGE = GRADERS / "keras_course"
# From the top down; a module may import its own layer and those below it, never one above.
LAYERS = [
    {"__main__", "cli", "cli_parser", "plugin", "in_notebook", "start", "autograder"},
    {"author", "grade"},
    {"checks"},
    {"artifacts"},
    {"run"},
    {"report"},
    {"course"},
]
ALLOWED_UP = {("keras_course", "keras_course.in_notebook")}  # the public name check(), lazily


def module_name(path: Path) -> str:
    parts = path.relative_to(GRADERS).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def imports() -> dict[str, set[str]]:
    """Each module of the package and the modules of the package it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("keras_course"):
                names |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
            elif isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names if alias.name.startswith("keras_course")}
        found[module_name(path)] = names
    return {name: {n for n in targets if n in found and n != name} for name, targets in found.items()}


def layer(module: str) -> int:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    return next((i for i, names in enumerate(LAYERS) if top in names), 1 if top == "__init__" else -1)


def test_every_module_has_a_layer():
    assert [m for m in imports() if m != "keras_course" and layer(m) < 0] == []


def test_no_module_imports_a_layer_above_its_own():
    upward = [
        (module, target)
        for module, targets in imports().items()
        for target in targets
        if layer(target) < layer(module) and (module, target) not in ALLOWED_UP
    ]
    assert upward == []


INSIDE_MAY_USE = (
    "keras_course.run.inside",
    "keras_course.run.cleanup",
    "keras_course.run.process_tree",
    "keras_course.course",
)


def test_run_imports_nothing_of_grading_and_its_inside_nothing_of_the_graders_side():
    """run/ imports no layer above it; run/inside/, which runs in the sandbox, imports only
    itself, the removal of trees (its server empties /tmp), the kill loop (process_tree.py: the
    standard library only) and course/."""
    run = {m: t for m, t in imports().items() if m.startswith("keras_course.run")}
    assert [(m, t) for m, ts in run.items() for t in ts if layer(t) < layer(m)] == []
    inside = {m: t for m, t in run.items() if m.startswith("keras_course.run.inside")}
    assert inside, "run/inside/ is gone: this test tests nothing"
    assert [(m, t) for m, ts in inside.items() for t in ts if not t.startswith(INSIDE_MAY_USE)] == []


def test_no_import_circle():
    graph, seen, on_path, circles = imports(), set(), [], []

    def visit(module: str) -> None:
        on_path.append(module)
        for target in sorted(graph[module]):
            if target in on_path:
                circles.append(on_path[on_path.index(target) :] + [target])
            elif target not in seen:
                visit(target)
        on_path.pop()
        seen.add(module)

    for module in sorted(graph):
        if module not in seen:
            visit(module)
    assert circles == []
