"""Steps 1-3 of a check, in the child: compile every file, import the strategy the way
FreqTrade does, and let FreqTrade's own StrategyResolver validate it.

FreqTrade (freqtrade/resolvers/iresolver.py) looks at the top-level `.py` files of
`strategy_path` in name order, imports each whose text contains `class <Name>(` as a module
named after its file with the folder on `sys.path`, and takes the class of that name defined
in it, so a class name need not match its file name. It only logs a file that fails to
import; these steps say why, with the file and line.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

from runtime.strategycheck.report import Failure, Kind


class Refused(Exception):
    """The strategy cannot be accepted; `failures` say why and where."""

    def __init__(self, *failures: Failure) -> None:
        super().__init__("; ".join(failure.message for failure in failures))
        self.failures = failures


def _relative(filename: str, directory: Path) -> str | None:
    try:
        return Path(filename).resolve().relative_to(directory).as_posix()
    except ValueError:
        return None


def _frames(tb: TracebackType | None) -> Iterator[TracebackType]:
    while tb is not None:
        yield tb
        tb = tb.tb_next


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and its causes: FreqTrade re-raises a strategy's error as StrategyError."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


@dataclass(frozen=True)
class Place:
    """Where in the checked folder an error happened."""

    file: str
    line: int | None
    function: str | None = None  # "MyStrategy.populate_indicators"; None for a syntax error


def where(exc: BaseException, directory: Path) -> Place | None:
    """The innermost place inside `directory` the exception (or its cause) passed through."""
    for link in _chain(exc):
        if isinstance(link, SyntaxError) and link.filename:
            relative = _relative(link.filename, directory)
            if relative is not None:
                return Place(relative, link.lineno)
        for frame in reversed(list(_frames(link.__traceback__))):
            code = frame.tb_frame.f_code
            relative = _relative(code.co_filename, directory)
            if relative is not None:
                function = None if code.co_qualname == "<module>" else code.co_qualname
                return Place(relative, frame.tb_lineno, function)
    return None


def describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def failure(kind: Kind, exc: BaseException, directory: Path, context: str) -> Failure:
    """A failure of `kind` for `exc`, located in the checked folder where Python says."""
    place = where(exc, directory)
    if place is None:
        return Failure(kind, f"{context}: {describe(exc)}")
    inside = f" in {place.function}" if place.function else ""
    return Failure(kind, f"{context}{inside}: {describe(exc)}", place.file, place.line)


def python_files(directory: Path) -> list[Path]:
    """Every `.py` file under the folder, subfolders too (hidden ones and caches skipped)."""
    return sorted(
        path
        for path in directory.rglob("*.py")
        if not any(
            part.startswith((".", "__pycache__")) for part in path.relative_to(directory).parts[:-1]
        )
    )


@dataclass(frozen=True)
class ClassDef:
    """A class statement found in the source (nothing is executed to find it)."""

    name: str
    file: str
    line: int


def compile_all(directory: Path) -> list[ClassDef]:
    """Compile every file; the classes they define, or Refused with each syntax error."""
    errors: list[Failure] = []
    classes: list[ClassDef] = []
    for path in python_files(directory):
        relative = path.relative_to(directory).as_posix()
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source, str(path))
            compile(tree, str(path), "exec", dont_inherit=True)
        except SyntaxError as exc:
            errors.append(Failure("syntax", f"{relative}: {describe(exc)}", relative, exc.lineno))
            continue
        except (UnicodeDecodeError, ValueError) as exc:  # not UTF-8, or a NUL byte
            errors.append(Failure("syntax", f"{relative}: {describe(exc)}", relative, None))
            continue
        classes.extend(
            ClassDef(node.name, relative, node.lineno)
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
        )
    if errors:
        raise Refused(*errors)
    return classes


def _not_found(name: str, classes: list[ClassDef]) -> Refused:
    """Why FreqTrade would not find `name`: not defined at the top level, or no base class."""
    top_level = [c for c in classes if c.name == name and "/" not in c.file]
    if top_level:  # `class Name:` has no base: FreqTrade looks for the text `class Name(`
        defined = top_level[0]
        return Refused(
            Failure(
                "not_istrategy",
                f"{name} in {defined.file} is not a FreqTrade IStrategy (it has no base class)",
                defined.file,
                defined.line,
            )
        )
    found = ", ".join(f"{c.name} ({c.file}:{c.line})" for c in classes) or "none"
    nested = [c for c in classes if c.name == name]
    hint = (
        f"; {name} is defined in {nested[0].file}, but FreqTrade only loads the folder's "
        "top-level files"
        if nested
        else ""
    )
    return Refused(
        Failure("no_strategy", f"no class {name} in the folder; classes found: {found}{hint}")
    )


def _import_file(path: Path, directory: Path) -> ModuleType:
    """Import one file as FreqTrade does: module named after the file, folder on sys.path."""
    spec = importlib.util.spec_from_file_location(path.stem, str(path))
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path.name}")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(directory))
    try:
        spec.loader.exec_module(module)
    finally:
        if str(directory) in sys.path:
            sys.path.remove(str(directory))
    return module


def _import_failure(exc: BaseException, relative: str, directory: Path) -> Failure:
    if isinstance(exc, MemoryError):
        return failure("memory", exc, directory, f"importing {relative} ran out of memory")
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        found = failure("missing_module", exc, directory, f"importing {relative}")
        message = f"importing {relative}: module {exc.name!r} is not installed"
        return Failure("missing_module", message, found.file, found.line)
    if isinstance(exc, SyntaxError):
        return failure("syntax", exc, directory, f"importing {relative}")
    return failure("import", exc, directory, f"importing {relative}")


@dataclass(frozen=True)
class Found:
    """The strategy class as FreqTrade would load it, and where it is defined."""

    cls: type[Any]
    definition: ClassDef


def import_strategy_class(directory: Path, name: str, classes: list[ClassDef]) -> Found:
    """The class `name` as FreqTrade would find it in the folder, or Refused saying why not."""
    from freqtrade.strategy import IStrategy

    candidates = [
        path
        for path in sorted(directory.glob("*.py"))
        if f"class {name}(" in path.read_text(encoding="utf-8")
    ]
    failures: list[Failure] = []
    for path in candidates:
        try:
            module = _import_file(path.resolve(), directory)
        except BaseException as exc:  # module-level code may raise anything, even SystemExit
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(_import_failure(exc, path.name, directory))
            continue
        cls = module.__dict__.get(name)
        if not inspect.isclass(cls) or cls.__module__ != module.__name__:
            continue
        definition = next(
            (c for c in classes if c.name == name and c.file == path.name),
            ClassDef(name, path.name, 0),
        )
        if not issubclass(cls, IStrategy):
            bases = ", ".join(base.__name__ for base in cls.__mro__[1:-1]) or "object"
            raise Refused(
                Failure(
                    "not_istrategy",
                    f"{name} in {path.name} is not a FreqTrade IStrategy (its bases: {bases})",
                    definition.file,
                    definition.line,
                )
            )
        return Found(cls, definition)
    if failures:
        raise Refused(*failures)
    raise _not_found(name, classes)


def check_required(found: Found, timeframe: str | None) -> None:
    """What FreqTrade needs before it runs a strategy and does not check at load."""
    cls = found.cls
    missing: list[str] = []
    if inspect.isabstract(cls):
        missing.extend(sorted(getattr(cls, "__abstractmethods__", ())))
    if not isinstance(getattr(cls, "stoploss", None), int | float):
        missing.append("stoploss (a negative ratio, e.g. -0.10)")
    if timeframe is None and not isinstance(getattr(cls, "timeframe", None), str):
        missing.append("timeframe (e.g. '5m')")
    if not isinstance(getattr(cls, "minimal_roi", {}), dict):
        missing.append("minimal_roi as a mapping of minutes to profit ratios")
    if missing:
        raise Refused(
            Failure(
                "missing_attribute",
                f"{cls.__name__} needs: {', '.join(missing)}",
                found.definition.file,
                found.definition.line,
            )
        )


def load_strategy(config: dict[str, Any], directory: Path) -> Any:
    """FreqTrade's own StrategyResolver on the config: its validation speaks here."""
    from freqtrade.exceptions import OperationalException
    from freqtrade.resolvers import StrategyResolver

    try:
        return StrategyResolver.load_strategy(config)
    except (OperationalException, ImportError) as exc:
        raise Refused(failure("missing_attribute", exc, directory, "FreqTrade refuses it")) from exc
    except MemoryError as exc:
        raise Refused(failure("memory", exc, directory, "loading ran out of memory")) from exc
    except Exception as exc:  # the strategy's own __init__ or bot_start raised
        raise Refused(failure("runtime", exc, directory, "creating the strategy raised")) from exc
