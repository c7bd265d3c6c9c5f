"""Emergency stop triggers (R4 `emergencyStop`): a BTC crash or a portfolio drop.

Decides only; the trade monitor pauses the bots this finds (reason "emergency stop").

- **BTC**: the drop from BTC/USDT's highest close in the last `btcDropTimeframe` minutes to
  its latest price, read from the exchange the bots trade on (`PriceHistory`). Off when the
  gateway has no `market_url`.
- **Portfolio**: the drop of the user's portfolio (the stored 30 s snapshots, what the P2
  chart shows) from its highest point in the last 24 hours to the latest snapshot. Measured
  on P&L so money moved in or out is no drop: (peak P&L − P&L now) / (capital now + peak P&L).
  Only snapshots with as many bots and answering bots as the latest count, so a bot stopped
  or unreachable for a while does not look like a loss; a latest snapshot older than three
  snapshot intervals (or snapshots off) means no portfolio check.

Both windows start no earlier than the bot's settings last changed (`updated_at`), which
includes the moment a pause was lifted: a drop that already stopped a bot does not stop it
again as soon as it resumes, and a user who changes the settings starts from a clean slate.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.services.dashboard.charts import Snapshot
from gateway.services.dashboard.snapshots import SnapshotStore
from gateway.services.risk.marketdata import PriceHistory
from gateway.services.risk.settings import BotRisk
from gateway.services.trading.botstore import BotRecord

logger = logging.getLogger(__name__)

PAUSE_REASON = "emergency stop"
PORTFOLIO_WINDOW = timedelta(hours=24)


def drop_percent(values: Sequence[float]) -> float:
    """How far the last value lies below the highest one, in percent (0 if it is the top)."""
    peak = max(values, default=0.0)
    if peak <= 0:
        return 0.0
    return max(0.0, (peak - values[-1]) / peak * 100)


def portfolio_drop(snapshots: Sequence[Snapshot]) -> float | None:
    """The drop of the newest snapshot below the best comparable one; None without a pair."""
    if len(snapshots) < 2:
        return None
    latest = snapshots[-1]
    shape = (latest.active_bots, latest.bot_count)
    pnls = [s.total_pnl_cents for s in snapshots if (s.active_bots, s.bot_count) == shape]
    if len(pnls) < 2:
        return None
    peak = max(pnls)
    base = latest.portfolio_value_cents - latest.total_pnl_cents + peak
    if base <= 0:
        return None
    return max(0.0, (peak - latest.total_pnl_cents) / base * 100)


@dataclass(frozen=True)
class Emergency:
    """Why one bot is being stopped."""

    trigger: str  # "btc" | "portfolio"
    drop: float
    limit: float

    def __str__(self) -> str:
        what = "BTC" if self.trigger == "btc" else "the portfolio"
        return f"{what} fell {self.drop:.2f} % (limit {self.limit:g} %)"


def _floor(now: datetime, window: timedelta, risk: BotRisk) -> datetime:
    start = now - window
    return max(start, risk.updated_at) if risk.updated_at is not None else start


class EmergencyWatch:
    """Finds the bots whose emergency stop has fired; reads prices once per pass."""

    def __init__(
        self,
        *,
        snapshots: SnapshotStore,
        prices: PriceHistory | None,
        snapshot_interval: float,
    ) -> None:
        self.snapshots = snapshots
        self.prices = prices
        self.snapshot_interval = snapshot_interval

    async def fired(
        self, watched: Sequence[tuple[BotRecord, BotRisk]], now: datetime
    ) -> dict[str, Emergency]:
        """Bot id -> the emergency that stops it, for the bots with `emergencyStop` enabled."""
        armed = [(r, k) for r, k in watched if k.features["emergencyStop"]["enabled"]]
        if not armed:
            return {}
        btc = await self._btc(armed, now)
        portfolios = await self._portfolios(armed, now)
        found: dict[str, Emergency] = {}
        for record, risk in armed:
            triggers = risk.features["emergencyStop"]["triggers"]
            window = timedelta(minutes=float(triggers["btcDropTimeframe"]))
            since = _floor(now, window, risk)
            closes = [price for end, price in btc if end > since]
            limit = float(triggers["btcDropPercent"])
            if closes and drop_percent(closes) >= limit:
                found[record.id] = Emergency("btc", drop_percent(closes), limit)
                continue
            since = _floor(now, PORTFOLIO_WINDOW, risk)
            history = [s for s in portfolios.get(record.user_id, []) if s.at >= since]
            drop = portfolio_drop(history)
            limit = float(triggers["portfolioDropPercent"])
            if drop is not None and drop >= limit:
                found[record.id] = Emergency("portfolio", drop, limit)
        return found

    async def _btc(
        self, armed: Sequence[tuple[BotRecord, BotRisk]], now: datetime
    ) -> list[tuple[datetime, float]]:
        """BTC closes over the widest window any armed bot needs ([] when unavailable)."""
        if self.prices is None:
            return []
        widest = max(
            float(risk.features["emergencyStop"]["triggers"]["btcDropTimeframe"])
            for _, risk in armed
        )
        try:
            return await self.prices.closes(now - timedelta(minutes=widest), now)
        except Exception as exc:  # noqa: BLE001 - ccxt's errors are many; any means "no data"
            logger.warning("BTC prices not read, BTC emergency stops skipped: %r", exc)
            return []

    async def _portfolios(
        self, armed: Sequence[tuple[BotRecord, BotRisk]], now: datetime
    ) -> dict[str, list[Snapshot]]:
        """Each armed user's last 24 h of snapshots, if the newest is fresh."""
        if self.snapshot_interval <= 0:
            return {}
        fresh_after = now - timedelta(seconds=3 * self.snapshot_interval)
        found: dict[str, list[Snapshot]] = {}
        for user_id in sorted({record.user_id for record, _ in armed}):
            history = await self.snapshots.since(user_id, now - PORTFOLIO_WINDOW)
            if history and history[-1].at >= fresh_after:
                found[user_id] = history
        return found
