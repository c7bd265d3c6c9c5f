"""Per-bot risk settings and feature objects: stored in `bot_settings`, applied to the bot.

Only what FreqTrade has a setting for reaches the bot (docs/risk-settings.md; the keys are
computed in gateway/services/risk/config.py): the risk level
becomes `stoploss`, the trailing stop its four `trailing_*` keys, the take-profit levels
`minimal_roi` (plus, for a ladder, position adjustment and the rungs the bundled strategies'
TakeProfitLadder sells at), and a disabled or paused bot FreqTrade's PAUSED state. A save
that changes those keys restarts a live bot through its pool (`PATCH` keeps the bot's trade
database); the settings are stored only after the pool accepted, so a failed apply leaves
nothing half-done.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from gateway.db.database import Database
from gateway.errors import ApiError, Conflict, NotFound, Unavailable
from gateway.services.common import Clock, iso
from gateway.services.pools.control import PoolControl, failure_text
from gateway.services.risk import defaults as rd
from gateway.services.risk.config import freqtrade_overrides
from gateway.services.strategies.catalogue import StrategyCatalogue
from gateway.services.trading.botapi import BotApiClient, BotOffline
from gateway.services.trading.botstore import BotRecord, BotStore
from gateway.services.trading.market import has_ladder
from migrations.schema import bot_settings
from runtime.botconfig import deep_merge

logger = logging.getLogger(__name__)


class PoolControls(Protocol):
    """What this service needs of the pool directory: the control of each pool."""

    def control(self, pool_id: str) -> PoolControl: ...


@dataclass(frozen=True)
class BotRisk:
    """One bot's stored (or default) settings, features and pause."""

    settings: dict[str, Any]
    features: dict[str, Any]
    paused_until: datetime | None
    pause_reason: str
    created_at: datetime | None
    updated_at: datetime | None

    @property
    def is_new(self) -> bool:
        """No row yet: the bot runs with the defaults."""
        return self.created_at is None

    def paused(self, now: datetime) -> bool:
        """Trading is held: switched off, or a pause that has not run out."""
        if not self.settings["enabled"]:
            return True
        if not self.pause_reason:
            return False
        return self.paused_until is None or self.paused_until > now


def _from_row(row: Row[Any] | None) -> BotRisk:
    if row is None:
        return BotRisk(rd.default_settings(), rd.default_features(None, None), None, "", None, None)
    features = deep_merge(rd.default_features(None, None), json.loads(row.features))
    features["_meta"] = rd.meta(iso(row.created_at), iso(row.updated_at))
    return BotRisk(
        rd.stored_settings(json.loads(row.settings)),
        features,
        row.paused_until,
        row.pause_reason,
        row.created_at,
        row.updated_at,
    )


def _without_state(overrides: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in overrides.items() if key != "initial_state"}


class RiskSettingsService:
    """Reads, validates, stores and applies the risk settings and features of users' bots."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        bots: BotStore,
        pools: PoolControls,
        api: BotApiClient,
        catalogue: StrategyCatalogue,
    ) -> None:
        self.db = db
        self.clock = clock
        self.catalogue = catalogue
        self.bots = bots
        self.pools = pools
        self.api = api
        # Saves of one bot run one at a time: each compares old and new overrides.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    # -- reads ----------------------------------------------------------------------------------
    async def load(self, bot_id: str) -> BotRisk:
        """The bot's row, or the defaults when it has none."""
        return (await self.load_many([bot_id]))[bot_id]

    async def load_many(self, bot_ids: list[str]) -> dict[str, BotRisk]:
        """Several bots' rows (or defaults) in one query."""
        query = select(bot_settings).where(bot_settings.c.bot_id.in_(bot_ids))
        async with self.db.engine.connect() as conn:
            rows = {row.bot_id: row for row in (await conn.execute(query)).all()}
        return {bot_id: _from_row(rows.get(bot_id)) for bot_id in bot_ids}

    async def overview(self, user_id: str) -> list[tuple[BotRecord, BotRisk]]:
        """R1: every bot of the user with its settings."""
        records = await self.bots.list_for_user(user_id)
        found = await self.load_many([record.id for record in records])
        return [(record, found[record.id]) for record in records]

    async def for_bot(self, user_id: str, bot_id: str) -> BotRisk:
        """R3/R4: one owned bot's settings and features (404/403 otherwise)."""
        await self.bots.owned(user_id, bot_id)
        return await self.load(bot_id)

    async def config_overrides(self, bot_id: str, strategy: str) -> dict[str, Any]:
        """The FreqTrade keys a (re)created bot must carry, pause included."""
        risk = await self.load(bot_id)
        paused = risk.paused(self.clock())
        return freqtrade_overrides(
            risk.settings,
            risk.features,
            paused=paused,
            ladder=has_ladder(self.catalogue.library(), strategy),
        )

    # -- writes ---------------------------------------------------------------------------------
    async def update_settings(self, user_id: str, bot_id: str, body: Any) -> BotRisk:
        """R2: merge a (partial) body into the settings and apply them."""
        record = await self.bots.owned(user_id, bot_id)
        async with self._lock(bot_id):
            old = await self.load(bot_id)
            settings = rd.merge_settings(old.settings, body)
            return await self._save(record, old, settings=settings)

    async def save_features(self, user_id: str, bot_id: str, body: Any) -> BotRisk:
        """R5: the client's feature object, merged over the defaults, validated and applied."""
        record = await self.bots.owned(user_id, bot_id)
        async with self._lock(bot_id):
            old = await self.load(bot_id)
            features = rd.merge_features(body, None, None)
            return await self._save(record, old, features=features)

    async def reset_features(self, user_id: str, bot_id: str) -> BotRisk:
        """R6: back to the default feature object (the risk settings stay)."""
        record = await self.bots.owned(user_id, bot_id)
        async with self._lock(bot_id):
            old = await self.load(bot_id)
            return await self._save(record, old, features=rd.default_features(None, None))

    async def resume(self, user_id: str, bot_id: str) -> BotRisk:
        """R7: lift any pause, switch trading back on and tell the bot to take entries again."""
        record = await self.bots.owned(user_id, bot_id)
        async with self._lock(bot_id):
            old = await self.load(bot_id)
            settings = {**old.settings, "enabled": True}
            return await self._save(
                record, old, settings=settings, pause=(None, ""), force_state=True
            )

    async def pause(self, bot_id: str, reason: str, until: datetime | None = None) -> BotRisk:
        """Hold a bot's entries (until `until`, or until resumed); for protections and admins."""
        record = await self.bots.find(bot_id)
        if record is None:
            raise NotFound("Instance not found", "BOT_NOT_FOUND")
        async with self._lock(bot_id):
            old = await self.load(bot_id)
            return await self._save(record, old, pause=(until, reason or "paused"))

    async def expire_pauses(self) -> list[str]:
        """Lift every pause whose `paused_until` has passed; the bots resumed (a loop's pass).

        A bot that cannot be reached keeps its stored pause and is tried again next pass.
        """
        now = self.clock()
        query = select(bot_settings.c.bot_id).where(
            bot_settings.c.pause_reason != "",
            bot_settings.c.paused_until.is_not(None),
            bot_settings.c.paused_until <= now,
        )
        async with self.db.engine.connect() as conn:
            due = [row.bot_id for row in await conn.execute(query)]
        resumed: list[str] = []
        for bot_id in due:
            record = await self.bots.find(bot_id)
            if record is None:
                continue
            async with self._lock(bot_id):
                old = await self.load(bot_id)
                if not old.pause_reason or old.paused_until is None or old.paused_until > now:
                    continue  # paused again, or resumed, meanwhile
                try:
                    await self._save(record, old, pause=(None, ""), force_state=True)
                except (Unavailable, Conflict) as exc:
                    logger.warning("pause of bot %s ran out, not lifted yet: %s", bot_id, exc)
                    continue
            logger.info("pause of bot %s (%s) ran out: resumed", bot_id, old.pause_reason)
            resumed.append(bot_id)
        return resumed

    def _lock(self, bot_id: str) -> asyncio.Lock:
        return self._locks.setdefault(bot_id, asyncio.Lock())

    async def _save(
        self,
        record: BotRecord,
        old: BotRisk,
        *,
        settings: dict[str, Any] | None = None,
        features: dict[str, Any] | None = None,
        pause: tuple[datetime | None, str] | None = None,
        force_state: bool = False,
    ) -> BotRisk:
        now = self.clock()
        until, reason = pause if pause is not None else (old.paused_until, old.pause_reason)
        new = BotRisk(
            settings if settings is not None else old.settings,
            features if features is not None else old.features,
            until,
            reason,
            old.created_at or now,
            now,
        )
        ladder = has_ladder(self.catalogue.library(), record.strategy)
        before = freqtrade_overrides(
            old.settings, old.features, paused=old.paused(now), ladder=ladder
        )
        after = freqtrade_overrides(
            new.settings, new.features, paused=new.paused(now), ladder=ladder
        )
        await self._apply(record, before, after, force_state=force_state)
        await self._write(record.id, new)
        new.features["_meta"] = rd.meta(iso(new.created_at), iso(new.updated_at))
        return new

    async def _write(self, bot_id: str, risk: BotRisk) -> None:
        stored = {k: v for k, v in risk.features.items() if k != "_meta"}
        values = {
            "settings": json.dumps(risk.settings),
            "features": json.dumps(stored),
            "paused_until": risk.paused_until,
            "pause_reason": risk.pause_reason,
            "updated_at": risk.updated_at,
        }
        async with self.db.engine.begin() as conn:
            changed = await conn.execute(
                bot_settings.update().where(bot_settings.c.bot_id == bot_id).values(**values)
            )
            if changed.rowcount == 0:
                try:
                    await conn.execute(
                        bot_settings.insert().values(
                            bot_id=bot_id, created_at=risk.created_at, **values
                        )
                    )
                except IntegrityError:
                    # The bot was deleted while its settings were being applied.
                    raise Conflict("The bot no longer exists", "BOT_NOT_FOUND") from None

    # -- applying to the bot --------------------------------------------------------------------
    async def _apply(
        self,
        record: BotRecord,
        before: dict[str, Any],
        after: dict[str, Any],
        *,
        force_state: bool,
    ) -> None:
        """Bring the bot in line: restart it for new config keys, pause/start it for a pause."""
        if record.pool_id is None:
            return  # not placed yet: provisioning builds its spec from config_overrides
        if _without_state(before) != _without_state(after):
            await self._patch_pool(record, after)
            return
        if before.get("initial_state") == after.get("initial_state") and not force_state:
            return
        paused = after.get("initial_state") == "paused"
        endpoint = record.endpoint
        if record.observed_state == "running" and endpoint is not None:
            path = "/api/v1/pause" if paused else "/api/v1/start"
            try:
                await self.api.post_json(endpoint, path)
            except BotOffline as exc:
                logger.warning("bot %s did not take %s (%s): via its pool", record.id, path, exc)
            else:
                logger.info("bot %s %s", record.id, "paused" if paused else "resumed")
                await self._record_state(record, after)
                return
        if before.get("initial_state") != after.get("initial_state") or force_state:
            # Not reachable or not running: store the state in the pool's spec (a stopped bot
            # is not restarted by this; a live one comes back in the right state).
            await self._patch_pool(record, after)

    async def _record_state(self, record: BotRecord, overrides: dict[str, Any]) -> None:
        """Write a state the bot already took into its pool spec, without a restart, so a
        crash restart brings it back the same; the bot is right either way, so a failure is
        only logged (the next save or re-add writes the spec)."""
        try:
            await self._patch_pool(record, overrides, restart=False)
        except (Unavailable, Conflict) as exc:
            logger.warning("bot %s: pool spec not updated with its state: %s", record.id, exc)

    async def _patch_pool(
        self, record: BotRecord, overrides: dict[str, Any], *, restart: bool = True
    ) -> None:
        assert record.pool_id is not None  # noqa: S101 - checked by the caller
        pool = self.pools.control(record.pool_id)  # an unknown pool: 503 POOL_UNKNOWN
        try:
            result = await pool.update_bot(
                record.id, {"config_overrides": overrides}, restart=restart
            )
        except NotFound:
            logger.info(
                "bot %s is not in pool %s: settings apply on re-add", record.id, record.pool_id
            )
            return
        except Conflict as exc:
            raise Conflict(f"The bot is busy, try again ({exc.message})", exc.code) from None
        except ApiError as exc:
            logger.warning(
                "pool %s did not take settings of bot %s: %s",
                record.pool_id,
                record.id,
                failure_text(exc),
            )
            raise _pool_unavailable(record.pool_id) from None
        logger.info(
            "bot %s got new settings from pool %s (restarted=%s)",
            record.id,
            record.pool_id,
            result.get("restarted"),
        )
        if isinstance(result.get("bot"), dict):
            await self.bots.record_seen(record.id, result["bot"])


def _pool_unavailable(pool_id: str) -> Unavailable:
    return Unavailable(
        "The bot's pool is unavailable; settings were not changed",
        "POOL_UNAVAILABLE",
        extra={"poolId": pool_id},
    )
