"""What strategy source files define, read with `ast` (never imported): classes and bases.

A file that does not parse is reported, not fatal: the store still lists the others.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ClassInfo:
    """One class defined at the top level of a strategy file."""

    name: str
    file: str
    bases: tuple[str, ...]
    docstring: str
    timeframe: str | None


@dataclass(frozen=True)
class SourceTree:
    """Every class of a set of files, and the files that do not parse."""

    classes: dict[str, ClassInfo]
    broken: dict[str, str]  # file -> "line N: message"

    def inherits(self, name: str, target: str) -> bool:
        """Whether class `name` derives from `target`, directly or through classes in the tree."""
        seen: set[str] = set()
        todo = [name]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            found = self.classes.get(current)
            if found is None:
                continue
            if target in found.bases:
                return True
            todo.extend(found.bases)
        return False

    def strategies(self) -> list[ClassInfo]:
        """The classes that are FreqTrade strategies (IStrategy subclasses), by name."""
        return sorted(
            (c for c in self.classes.values() if self.inherits(c.name, "IStrategy")),
            key=lambda c: c.name,
        )


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _timeframe(node: ast.ClassDef) -> str | None:
    for statement in node.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign):
            targets, value = [statement.target], statement.value
        for target in targets:
            if (
                isinstance(target, ast.Name)
                and target.id == "timeframe"
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                return value.value
    return None


def classes_in(path: str, text: str) -> list[ClassInfo]:
    """The top-level classes of one file; SyntaxError if it does not parse."""
    tree = ast.parse(text, filename=path)
    return [
        ClassInfo(
            name=node.name,
            file=path,
            bases=tuple(b for b in (_base_name(base) for base in node.bases) if b),
            docstring=(ast.get_docstring(node) or "").strip(),
            timeframe=_timeframe(node),
        )
        for node in tree.body
        if isinstance(node, ast.ClassDef)
    ]


def read_tree(files: Mapping[str, str]) -> SourceTree:
    """Classes of every file (first definition of a name wins) and the broken files."""
    classes: dict[str, ClassInfo] = {}
    broken: dict[str, str] = {}
    for path in sorted(files):
        try:
            found = classes_in(path, files[path])
        except SyntaxError as exc:
            broken[path] = f"line {exc.lineno}: {exc.msg}"
            continue
        for info in found:
            classes.setdefault(info.name, info)
    return SourceTree(classes, broken)
