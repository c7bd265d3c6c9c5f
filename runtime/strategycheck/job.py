"""What the parent asks the check child to do: written as JSON into the child's work folder."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.strategycheck.report import Limits

DEFAULT_PAIRS = ("BTC/USDT", "ETH/USDT")
DEFAULT_CANDLES = 500
STAKE_CURRENCY = "USDT"


@dataclass(frozen=True)
class Job:
    """One check: the folder, the class, the sandbox exchange, the candles and the limits."""

    directory: Path
    strategy: str
    market_url: str
    pairs: tuple[str, ...] = DEFAULT_PAIRS
    timeframe: str | None = None  # None: the strategy's own
    candles: int = DEFAULT_CANDLES
    limits: Limits = Limits()

    def to_dict(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "strategy": self.strategy,
            "market_url": self.market_url,
            "pairs": list(self.pairs),
            "timeframe": self.timeframe,
            "candles": self.candles,
            "limits": self.limits.to_dict(),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Job:
        return cls(
            directory=Path(raw["directory"]),
            strategy=str(raw["strategy"]),
            market_url=str(raw["market_url"]),
            pairs=tuple(raw["pairs"]),
            timeframe=raw["timeframe"],
            candles=int(raw["candles"]),
            limits=Limits.from_dict(raw["limits"]),
        )

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict()), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Job:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
