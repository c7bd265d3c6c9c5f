"""The validation report: what was checked, what failed and where, and the limits it ran under.

Plain data, the same on both sides of the process boundary: the child writes it as JSON, the
parent reads it back (or writes one itself when the child was killed), callers store it with
the strategy version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal, cast, get_args

Kind = Literal[
    "syntax",
    "import",
    "missing_module",
    "no_strategy",
    "not_istrategy",
    "missing_attribute",
    "runtime",
    "timeout",
    "memory",
    "cpu",
    "backtest",
]
KINDS: frozenset[str] = frozenset(get_args(Kind))


def freqtrade_version() -> str:
    """The installed FreqTrade's version, read from its metadata (FreqTrade is not imported)."""
    try:
        return version("freqtrade")
    except PackageNotFoundError:
        return ""


@dataclass(frozen=True)
class Limits:
    """What the check process may use: CPU seconds (FreqTrade's start-up included) and MB of
    address space on top of what FreqTrade itself takes (setrlimit in the child), and wall
    seconds (enforced by the parent, which kills the child's process group)."""

    cpu_seconds: int = 60
    memory_mb: int = 1024
    wall_seconds: float = 120.0

    def __post_init__(self) -> None:
        if self.cpu_seconds < 1 or self.memory_mb < 64 or self.wall_seconds <= 0:
            raise ValueError(
                "limits need cpu_seconds >= 1, memory_mb >= 64 and wall_seconds > 0, "
                f"got {self.cpu_seconds}, {self.memory_mb}, {self.wall_seconds}"
            )

    def to_dict(self) -> dict[str, float]:
        return {
            "cpu_seconds": self.cpu_seconds,
            "memory_mb": self.memory_mb,
            "wall_seconds": self.wall_seconds,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Limits:
        return cls(int(raw["cpu_seconds"]), int(raw["memory_mb"]), float(raw["wall_seconds"]))


@dataclass(frozen=True)
class Failure:
    """One reason the strategy is refused; `file` is relative to the checked folder."""

    kind: Kind
    message: str
    file: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "file": self.file, "line": self.line}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Failure:
        kind = str(raw["kind"])
        if kind not in KINDS:
            raise ValueError(f"unknown error kind {kind!r}")
        line = raw.get("line")
        return cls(
            cast(Kind, kind),
            str(raw["message"]),
            raw.get("file"),
            None if line is None else int(line),
        )


@dataclass(frozen=True)
class Signals:
    """Candles with an entry or exit signal after `populate_entry_trend`/`populate_exit_trend`,
    summed over the pairs."""

    enter_long: int = 0
    exit_long: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"enter_long": self.enter_long, "exit_long": self.exit_long}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Signals:
        return cls(int(raw["enter_long"]), int(raw["exit_long"]))


@dataclass(frozen=True)
class Report:
    """The outcome of one check; `passed` is true exactly when there is no error."""

    strategy: str
    limits: Limits
    errors: tuple[Failure, ...] = ()
    trades: int = 0
    signals: Signals = field(default_factory=Signals)
    duration_s: float = 0.0
    freqtrade_version: str = field(default_factory=freqtrade_version)

    @property
    def passed(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of the interface (`python -m runtime.strategycheck` prints it)."""
        return {
            "passed": self.passed,
            "strategy": self.strategy,
            "errors": [error.to_dict() for error in self.errors],
            "trades": self.trades,
            "signals": self.signals.to_dict(),
            "duration_s": round(self.duration_s, 3),
            "freqtrade_version": self.freqtrade_version,
            "limits": self.limits.to_dict(),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Report:
        report = cls(
            strategy=str(raw["strategy"]),
            limits=Limits.from_dict(raw["limits"]),
            errors=tuple(Failure.from_dict(error) for error in raw["errors"]),
            trades=int(raw["trades"]),
            signals=Signals.from_dict(raw["signals"]),
            duration_s=float(raw["duration_s"]),
            freqtrade_version=str(raw["freqtrade_version"]),
        )
        if bool(raw["passed"]) != report.passed:
            raise ValueError("a report passes exactly when it has no errors")
        return report
