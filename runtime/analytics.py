"""The pool's product events (bot crashed, bot stalled, trade closed) sent to PostHog.

`PoolAnalytics` is the `runtime.events.PoolEvents` sink `create_app` gives the pool when
`posthog_key` is set: each event goes to the bot owner's PostHog person with the pool id
added, through `observability.analytics` (queued, never blocking the supervisor's loop).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from observability.analytics import Analytics
from runtime.settings import PoolSettings
from runtime.sync.reader import Row


class PoolAnalytics:
    """`PoolEvents` over one `Analytics` client; the owner is the distinct id."""

    def __init__(self, analytics: Analytics, pool_id: str) -> None:
        self.analytics = analytics
        self.pool_id = pool_id

    @classmethod
    def from_settings(cls, settings: PoolSettings) -> PoolAnalytics:
        """Off (sends nothing, starts no thread) unless `posthog_key` is set."""
        analytics = Analytics(
            settings.posthog_key.get_secret_value(), settings.posthog_host, service="pool"
        )
        return cls(analytics, settings.pool_id)

    def emit(self, event: str, owner: str, properties: Mapping[str, object]) -> None:
        self.analytics.capture(event, owner, {**properties, "pool_id": self.pool_id})

    def trade_closed(self, owner: str, bot_id: str, trade: Row) -> None:
        """`trade_closed` for one trade row of the sync (FreqTrade's columns)."""
        opened, closed = trade.get("open_date"), trade.get("close_date")
        duration = None
        if isinstance(opened, datetime) and isinstance(closed, datetime):
            duration = round((closed - opened).total_seconds(), 3)
        self.emit(
            "trade_closed",
            owner,
            {
                "bot_id": bot_id,
                "trade_id": trade.get("id"),
                "pair": trade.get("pair"),
                "is_short": trade.get("is_short"),
                "strategy": trade.get("strategy"),
                "timeframe": trade.get("timeframe"),
                "stake_currency": trade.get("stake_currency"),
                "stake_amount": trade.get("stake_amount"),
                "profit_abs": trade.get("close_profit_abs"),
                "profit_ratio": trade.get("close_profit"),
                "exit_reason": trade.get("exit_reason"),
                "duration_seconds": duration,
            },
        )

    def close(self) -> None:
        """Send what is queued; returns within 2 s whatever PostHog does."""
        self.analytics.close()
