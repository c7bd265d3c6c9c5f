"""The metadata file of one strategy in the store: `meta/<ClassName>.json`.

It holds what S1/S2 show (display name, description, risk level, timeframes, features,
recommended for, default risk template), the file that defines the class, the version counter
and the changelog. Each commit that changes the file publishes one version of that strategy,
so a version's commit id is read from git's history of the file, never written into it.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from gateway.services.strategies.sources import ClassInfo

META_DIR = "meta"
RiskLevel = Literal["low", "medium", "high"]
RISK_LEVELS: tuple[RiskLevel, ...] = ("low", "medium", "high")
# The risk template each level suggests for a new bot (the frontend shows the name).
RISK_TEMPLATES: dict[str, str] = {"low": "conservative", "medium": "balanced", "high": "aggressive"}
# Fields an admin may set through the API or CLI (the rest the store keeps itself).
EDITABLE = (
    "displayName",
    "description",
    "riskLevel",
    "timeframes",
    "features",
    "recommendedFor",
    "defaultRiskTemplate",
)


@dataclass(frozen=True)
class ChangelogEntry:
    """One published version: who, when and why (its commit comes from git's history)."""

    version: int
    message: str
    author: str
    at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class StrategyMeta:
    """Everything the store knows about one strategy besides its code."""

    className: str
    fileName: str
    displayName: str
    description: str
    riskLevel: str = "medium"
    timeframes: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    recommendedFor: str = ""
    defaultRiskTemplate: str = "balanced"
    version: int = 0
    changelog: list[ChangelogEntry] = field(default_factory=list)

    @property
    def path(self) -> str:
        return meta_path(self.className)

    def to_json(self) -> bytes:
        return (json.dumps(asdict(self), indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, raw: bytes) -> StrategyMeta:
        data: dict[str, Any] = json.loads(raw)
        data["changelog"] = [ChangelogEntry(**entry) for entry in data.get("changelog", [])]
        return cls(**data)

    def next_version(self, message: str, author: str, at: str, **changes: Any) -> StrategyMeta:
        """This metadata with `changes` applied and one more version in the changelog."""
        version = self.version + 1
        entry = ChangelogEntry(version=version, message=message, author=author, at=at)
        return replace(self, **changes, version=version, changelog=[*self.changelog, entry])


def meta_path(class_name: str) -> str:
    return f"{META_DIR}/{class_name}.json"


def report_path(class_name: str) -> str:
    """The validation report of the version published in the same commit."""
    return f"{META_DIR}/{class_name}.report.json"


def display_name(class_name: str) -> str:
    """`EmaRsiStrategy` -> `Ema Rsi Strategy`, `Scalp1m` -> `Scalp 1m`."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z0-9])|(?<=[0-9])(?=[A-Z])", " ", class_name)
    return spaced.replace("_", " ").strip() or class_name


def initial_meta(info: ClassInfo) -> StrategyMeta:
    """What the store assumes about a strategy it has just been given (the admin may edit it)."""
    description = info.docstring or f"{info.name} trading strategy"
    return StrategyMeta(
        className=info.name,
        fileName=info.file,
        displayName=display_name(info.name),
        description=description,
        timeframes=[info.timeframe] if info.timeframe else [],
    )
