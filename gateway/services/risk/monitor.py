"""The trade monitor: emergency stops and daily loss protection of every running bot (R8).

Every `trade_monitor_interval` seconds each running, unpaused bot whose
`dailyLossProtection` is enabled is asked for FreqTrade's own `/api/v1/daily?timescale=1`
(profit of the trades closed today, UTC, and the balance the day started with) and
`/api/v1/status` (its open trades). Today's loss is the realised loss plus the open trades'
unrealised loss, as a share of the day's starting balance. At `maxDailyLossPercent` or more
the bot is paused with reason "daily loss" (RiskSettingsService.pause: FreqTrade's PAUSED
state, kept across restarts): until the next UTC midnight for `pauseUntil: "nextDay"` (the
pause-expiry loop lifts it), until R7 for `"manual"`. With `closePositions` its open trades
are force-exited too. A bot that does not answer is skipped until the next pass.

The same pass first asks `EmergencyWatch` (gateway/services/risk/emergency.py) which bots'
`emergencyStop` fired (BTC crash, portfolio drop): those are paused with reason "emergency
stop" for `pauseDurationHours` (0 = until R7), their trades force-exited with
`closeAllPositions`, and skip the daily check.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from gateway.errors import ApiError
from gateway.services.common import Clock
from gateway.services.recorder import UNRECORDED, Recorder
from gateway.services.risk.emergency import PAUSE_REASON as EMERGENCY_REASON
from gateway.services.risk.emergency import Emergency, EmergencyWatch
from gateway.services.risk.settings import BotRisk, RiskSettingsService
from gateway.services.trading.botapi import BotApiClient
from gateway.services.trading.botstore import BotRecord, BotStore
from observability.analytics import Analytics

logger = logging.getLogger(__name__)

PAUSE_REASON = "daily loss"
# The `reason` label of `cryptopilot_trade_monitor_pauses_total` (recorder.PAUSE_REASONS).
_METRIC_REASON = {PAUSE_REASON: "daily_loss", EMERGENCY_REASON: "emergency_stop"}


@dataclass(frozen=True)
class DailyLoss:
    """One bot's day so far, in its stake currency."""

    realised: float
    unrealised: float
    starting_balance: float

    @property
    def percent(self) -> float:
        """Loss as a positive percentage of the day's starting balance (0 for a gain)."""
        if self.starting_balance <= 0:
            return 0.0
        return max(0.0, -(self.realised + self.unrealised) / self.starting_balance * 100)


def daily_loss(daily: Any, status: Any, today: str) -> DailyLoss:
    """Today's figures from FreqTrade's /daily (newest day first) and /status answers."""
    rows = daily["data"] if isinstance(daily, dict) else None
    if not isinstance(rows, list) or not isinstance(status, list):
        raise TypeError("unexpected /daily or /status shape")
    day = next((row for row in rows if str(row.get("date")) == today), None)
    if day is None:
        raise ValueError(f"/daily has no row for {today}")
    unrealised = sum(float(t.get("profit_abs") or 0) for t in status)
    return DailyLoss(float(day["abs_profit"]), unrealised, float(day["starting_balance"]))


def next_midnight(now: datetime) -> datetime:
    """The next 00:00 UTC after `now` (an aware UTC datetime)."""
    return datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=now.tzinfo)


class TradeMonitor:
    """Runs the emergency and daily loss checks; remembers when its last pass ended for R8."""

    def __init__(
        self,
        *,
        bots: BotStore,
        risk: RiskSettingsService,
        api: BotApiClient,
        clock: Clock,
        interval: float,
        timeout: float,
        concurrency: int,
        emergency: EmergencyWatch | None = None,
        analytics: Analytics | None = None,
        recorder: Recorder = UNRECORDED,
    ) -> None:
        self.analytics = analytics if analytics is not None else Analytics.off()
        self.bots = bots
        self.risk = risk
        self.api = api
        self.clock = clock
        self.interval = interval
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
        self.emergency = emergency
        self.recorder = recorder
        self.last_pass: datetime | None = None

    @property
    def active(self) -> bool:
        """On, and a pass ended within the last three intervals."""
        if self.interval <= 0 or self.last_pass is None:
            return False
        return self.clock() - self.last_pass <= timedelta(seconds=3 * self.interval)

    async def status(self, user_id: str) -> tuple[bool, int]:
        """R8: whether the monitor watches any running bot of the user, and their bot count."""
        records = await self.bots.list_for_user(user_id)
        watched = any(r.observed_state == "running" for r in records)
        return self.active and watched, len(records)

    async def check_all(self) -> list[str]:
        """One pass over every running, unpaused bot; the ids of the bots paused by it."""
        now = self.clock()
        records = [
            r
            for r in await self.bots.list_all()
            if r.desired_state == "running" and r.endpoint is not None
        ]
        risks = await self.risk.load_many([r.id for r in records])
        live = [(r, risks[r.id]) for r in records if not risks[r.id].paused(now)]
        paused: list[str] = []
        fired = await self.emergency.fired(live, now) if self.emergency is not None else {}
        for record, risk in live:
            emergency = fired.get(record.id)
            if emergency is not None and await self._emergency_stop(record, risk, now, emergency):
                paused.append(record.id)
        watched = [
            (record, risk)
            for record, risk in live
            if record.id not in fired and risk.features["dailyLossProtection"]["enabled"]
        ]
        limit = asyncio.Semaphore(self.concurrency)

        async def one(record: BotRecord, risk: BotRisk) -> str | None:
            async with limit:
                return await self._check(record, risk, now)

        daily = await asyncio.gather(*(one(record, risk) for record, risk in watched))
        paused.extend(bot_id for bot_id in daily if bot_id is not None)
        self.last_pass = self.clock()
        logger.info(
            "trade monitor pass: %d bots watched, %d emergency stops, %d paused in %d ms",
            len(live),
            len(fired),
            len(paused),
            (self.last_pass - now).total_seconds() * 1000,
        )
        return paused

    async def _emergency_stop(
        self, record: BotRecord, risk: BotRisk, now: datetime, emergency: Emergency
    ) -> bool:
        actions = risk.features["emergencyStop"]["actions"]
        hours = float(actions["pauseDurationHours"])
        until = now + timedelta(hours=hours) if hours > 0 else None
        logger.warning(
            "bot %s: emergency stop, %s: paused until %s",
            record.id,
            emergency,
            until.isoformat() if until else "resumed",
        )
        held = await self._hold(
            record, EMERGENCY_REASON, until, close=bool(actions["closeAllPositions"])
        )
        if held:
            self.recorder.trade_monitor_emergency_stop()
            self.analytics.capture(
                "emergency_stop",
                record.user_id,
                {
                    "bot_id": record.id,
                    "pool_id": record.pool_id,
                    "trigger": emergency.trigger,
                    "drop_percent": round(emergency.drop, 2),
                    "limit_percent": emergency.limit,
                    "pause_hours": hours,
                    "close_positions": bool(actions["closeAllPositions"]),
                },
            )
        return held

    async def _check(self, record: BotRecord, risk: BotRisk, now: datetime) -> str | None:
        protection = risk.features["dailyLossProtection"]
        endpoint = record.endpoint
        assert endpoint is not None  # noqa: S101 - check_all keeps placed bots only
        try:
            async with asyncio.timeout(self.timeout):
                daily, status = await asyncio.gather(
                    self.api.get_json(endpoint, "/api/v1/daily?timescale=1", self.timeout),
                    self.api.get_json(endpoint, "/api/v1/status", self.timeout),
                )
            loss = daily_loss(daily, status, now.date().isoformat())
        except (TimeoutError, ApiError, ValueError, TypeError, KeyError) as exc:
            logger.info("daily loss of bot %s not checked: %r", record.id, exc)
            return None
        if loss.percent < float(protection["maxDailyLossPercent"]):
            return None
        until = next_midnight(now) if protection["pauseUntil"] == "nextDay" else None
        logger.warning(
            "bot %s lost %.2f %% today (limit %s %%): paused until %s",
            record.id,
            loss.percent,
            protection["maxDailyLossPercent"],
            until.isoformat() if until else "resumed",
        )
        held = await self._hold(
            record, PAUSE_REASON, until, close=bool(protection.get("closePositions"))
        )
        return record.id if held else None

    async def _hold(
        self, record: BotRecord, reason: str, until: datetime | None, *, close: bool
    ) -> bool:
        """Pause the bot (`reason`, until `until` or R7) and, with `close`, exit its trades."""
        try:
            await self.risk.pause(record.id, reason, until)
        except ApiError as exc:
            logger.warning("bot %s: %s pause not applied yet: %s", record.id, reason, exc)
            return False
        self.recorder.trade_monitor_pause(_METRIC_REASON[reason])
        if close:
            assert record.endpoint is not None  # noqa: S101 - check_all keeps placed bots only
            try:
                await self.api.post_json(record.endpoint, "/api/v1/forceexit", {"tradeid": "all"})
            except ApiError as exc:  # paused all the same: no new entries
                logger.warning("bot %s paused, open trades not closed: %s", record.id, exc)
        return True
