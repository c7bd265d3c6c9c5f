"""A user's paper bots: provisioning (one saga), start, stop and delete with cash-out.

Provisioning claims the bot id, reserves the wallet money, places the bot in a pool and asks
that pool to run it; any failure undoes the earlier steps, so no money is lost and no half
bot remains. Deleting force-exits the bot's open trades, reads what it is worth, removes it
from its pool and returns that value to the wallet.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from gateway.errors import (
    ApiError,
    BadInput,
    Conflict,
    InvalidField,
    NotFound,
    PoolUnreachable,
    Unavailable,
)
from gateway.services.common import Clock, utcnow
from gateway.services.money.money import dollars, from_cents, to_cents
from gateway.services.money.wallet import WalletService
from gateway.services.pools.directory import PoolDirectory
from gateway.services.risk.settings import RiskSettingsService
from gateway.services.strategies.catalogue import StrategyCatalogue
from gateway.services.strategies.deploy import StrategyDeployer
from gateway.services.strategies.store import Version
from gateway.services.trading import placement
from gateway.services.trading.botapi import BotApiClient
from gateway.services.trading.botstore import BotRecord, BotStore, DesiredState
from gateway.services.trading.market import (
    check_strategy,
    check_timeframe,
    market_pairs,
)
from observability.analytics import Analytics

logger = logging.getLogger(__name__)

# Pool refusals that mean "try another pool" rather than "the request is wrong"; a pool that
# failed or did not answer is skipped too.
POOL_HAS_NO_ROOM = frozenset({"POOL_FULL", "NO_FREE_PORT"})
# The contract field a pool's refusal of a bot's spec is about (others: "body").
REFUSED_FIELDS = {"UNKNOWN_PAIR": "tradingPairs", "UNKNOWN_STRATEGY": "strategy"}
PLACEMENT_ATTEMPTS = 3
EXIT_DEADLINE_S = 30.0


@dataclass(frozen=True)
class NewBot:
    """A bot to provision (B2 or an adoption): its trading columns and its starting money."""

    id: str
    strategy: str
    exchange: str
    stake_currency: str
    stake_amount: str  # as the bots table stores it: "unlimited" or a number
    max_open_trades: int
    timeframe: str
    pairs: list[str]
    initial_cents: int


@dataclass(frozen=True)
class Provisioned:
    bot: BotRecord
    previous_balance_cents: int
    new_balance_cents: int
    allocated_cents: int


@dataclass(frozen=True)
class Deleted:
    bot_id: str
    cashed_out_cents: int
    pnl_cents: int
    previous_balance_cents: int
    new_balance_cents: int
    warnings: list[str] = field(default_factory=list)


class BotService:
    """Bot lifecycle across the database, the wallet and the pools."""

    def __init__(
        self,
        *,
        store: BotStore,
        wallet: WalletService,
        pools: PoolDirectory,
        api: BotApiClient,
        risk: RiskSettingsService,
        catalogue: StrategyCatalogue,
        deployer: StrategyDeployer,
        clock: Clock = utcnow,
        max_bots_per_user: int = 3,
        analytics: Analytics | None = None,
    ) -> None:
        self.analytics = analytics if analytics is not None else Analytics.off()
        self.store = store
        self.catalogue = catalogue
        self.deployer = deployer
        self.wallet = wallet
        self.pools = pools
        self.api = api
        self.risk = risk
        self.clock = clock
        self.max_bots_per_user = max_bots_per_user

    async def spec_for(self, record: BotRecord) -> dict[str, Any]:
        """The pool's add-bot body for this bot (risk settings included as config overrides),
        with the store version it runs (none: the pool's shipped strategies/ folder)."""
        spec: dict[str, Any] = {
            "bot_id": record.id,
            "owner": record.user_id,
            "strategy": record.strategy,
            "pairs": market_pairs(record.pairs, record.stake_currency),
            "stake_currency": record.stake_currency,
            "dry_run_wallet": from_cents(record.wallet_cents),
            "stake_amount": record.stake_amount_value,
            "max_open_trades": record.max_open_trades,
            "timeframe": record.timeframe,
            "config_overrides": await self.risk.config_overrides(record.id, record.strategy),
        }
        if record.strategy_commit and record.strategy_version:
            version = Version(record.strategy, record.strategy_version, record.strategy_commit)
            spec["strategy_version"] = await self.deployer.payload(version)
        return spec

    async def listing(self, user_id: str) -> list[BotRecord]:
        """The user's bots with their state freshly read from their pools (best effort)."""
        records = await self.store.list_for_user(user_id)
        by_pool = {r.pool_id for r in records if r.pool_id}
        await asyncio.gather(*(self._refresh_pool(user_id, p) for p in sorted(by_pool)))
        return await self.store.list_for_user(user_id)

    async def _refresh_pool(self, user_id: str, pool_id: str) -> None:
        try:
            seen = await self.pools.control(pool_id).list_bots(timeout=2.0)
        except ApiError as exc:
            logger.info("pool %s not answering for the bot list: %s", pool_id, exc)
            return
        live = {r.id for r in await self.store.list_for_user(user_id)}  # not those being deleted
        for pool_bot in seen:
            if pool_bot.get("owner") == user_id and pool_bot.get("bot_id") in live:
                await self.store.record_seen(str(pool_bot["bot_id"]), pool_bot)

    # -- provisioning -------------------------------------------------------------------------

    async def provision(self, user_id: str, new: NewBot) -> Provisioned:
        """B2: check the strategy, timeframe, pairs and stake, then `claim_and_place`."""
        check_strategy(self.catalogue.library(), new.strategy)
        check_timeframe(new.timeframe)
        market_pairs(new.pairs, new.stake_currency)
        if new.stake_amount != "unlimited" and float(new.stake_amount) > from_cents(
            new.initial_cents
        ):
            raise InvalidField(
                "stake_amount",
                "stake_amount cannot exceed the bot's initialBalance",
                "STAKE_EXCEEDS_BALANCE",
            )
        return await self.claim_and_place(user_id, new)

    async def claim_and_place(
        self, user_id: str, new: NewBot, *, extra_spec: dict[str, Any] | None = None
    ) -> Provisioned:
        """Claim the id, reserve the money, place the bot in a pool; undo all on failure.

        `new` is checked already; `extra_spec` is added to the pool's add-bot body (an adopted
        bot's `import_database`).
        """
        existing = await self.store.list_for_user(user_id)
        if len(existing) >= self.max_bots_per_user:
            raise BadInput(
                f"You can run at most {self.max_bots_per_user} bots; delete one first",
                "BOT_LIMIT_REACHED",
            )
        # New bots run their strategy's default store version; an adopted bot whose strategy
        # the store does not publish runs the pool's shipped folder, as before the store.
        published = new.strategy in self.catalogue.library().names
        version = await self.deployer.default_version(new.strategy) if published else None
        record = await self.store.create(
            strategy_commit=version.commit if version else None,
            strategy_version=version.version if version else None,
            id=new.id,
            strategy=new.strategy,
            exchange=new.exchange,
            stake_currency=new.stake_currency,
            stake_amount=new.stake_amount,
            max_open_trades=new.max_open_trades,
            timeframe=new.timeframe,
            pairs=new.pairs,
            user_id=user_id,
            pool_id=None,
            dry_run=True,
            wallet_cents=new.initial_cents,
            desired_state="provisioning",
        )
        try:
            move = await self.wallet.allocate(
                user_id, record.id, record.bot_name, new.initial_cents
            )
        except BaseException:
            await self.store.delete(record.id)
            raise
        try:
            placed = await self._place(record, existing, extra_spec or {})
        except BaseException as exc:
            await self._undo_provision(user_id, record, exc)
            raise
        self.analytics.capture(
            "bot_provisioned",
            user_id,
            {
                "bot_id": placed.id,
                "pool_id": placed.pool_id,
                "strategy": placed.strategy,
                "strategy_version": placed.strategy_version,
                "exchange": placed.exchange,
                "stake_currency": placed.stake_currency,
                "timeframe": placed.timeframe,
                "max_open_trades": placed.max_open_trades,
                "pair_count": len(placed.pairs),
                "initial_balance": from_cents(new.initial_cents),
                "adopted": "import_database" in (extra_spec or {}),
            },
        )
        return Provisioned(
            bot=placed,
            previous_balance_cents=move.balance_cents + new.initial_cents,
            new_balance_cents=move.balance_cents,
            allocated_cents=new.initial_cents,
        )

    async def _place(
        self, record: BotRecord, existing: list[BotRecord], extra_spec: dict[str, Any]
    ) -> BotRecord:
        spread = Counter(b.pool_id for b in existing if b.pool_id)
        tried: set[str] = set()
        last_error: Exception | None = None
        for _ in range(PLACEMENT_ATTEMPTS):
            candidates = [
                c for c in await self.pools.placement_candidates() if c.pool_id not in tried
            ]
            pool_id = placement.choose_pool(candidates, spread)
            if pool_id is None:
                break
            tried.add(pool_id)
            placed = await self.store.update(record.id, pool_id=pool_id)
            assert placed is not None  # noqa: S101 - claimed above, not deletable meanwhile
            try:
                spec = await self.spec_for(placed) | extra_spec
                pool_bot = await self.pools.control(pool_id).add_bot(spec)
            except PoolUnreachable as exc:
                last_error = exc
                await self._forget_on_pool(pool_id, record.id)
            except Unavailable as exc:
                last_error = exc
            except (BadInput, NotFound, Conflict) as exc:
                if exc.code not in POOL_HAS_NO_ROOM:
                    field = REFUSED_FIELDS.get(exc.code, "body")
                    raise InvalidField(field, exc.message, exc.code) from None
                last_error = exc
            else:
                found = await self.store.record_seen(record.id, pool_bot, desired_state="running")
                assert found is not None  # noqa: S101 - claimed above, not deletable meanwhile
                logger.info("bot %s placed in pool %s", record.id, pool_id)
                return found
            logger.warning("pool %s refused bot %s: %s", pool_id, record.id, last_error)
        if last_error is not None:
            raise Unavailable(
                f"No pool could start the bot ({last_error})", "POOL_UNAVAILABLE"
            ) from None
        raise Unavailable("No pool has room for another bot right now", "NO_POOL_CAPACITY")

    async def _forget_on_pool(self, pool_id: str, bot_id: str) -> None:
        # A timed-out add may still have happened: remove it so no half bot stays behind.
        try:
            await self.pools.control(pool_id).remove_bot(bot_id)
        except ApiError as exc:
            logger.info("clean-up of %s on %s: %s (the reconciler retries)", bot_id, pool_id, exc)

    async def _undo_provision(self, user_id: str, record: BotRecord, cause: BaseException) -> None:
        logger.warning("provisioning %s failed, undoing: %s", record.id, cause)
        await self.wallet.close_allocation(
            user_id,
            record.id,
            record.wallet_cents,
            f"Refund: provisioning {record.id} failed",
        )
        await self.store.delete(record.id)

    # -- start / stop / delete ----------------------------------------------------------------

    async def start(self, user_id: str, bot_id: str) -> BotRecord:
        record = await self.store.owned(user_id, bot_id)
        if await self.wallet.allocation(user_id, bot_id) is None:
            raise BadInput(
                "This bot has no funds allocated: its money was returned to the wallet",
                "NO_ALLOCATION",
            )
        pool_bot = await self._desire(record, "running")
        await self.store.record_seen(bot_id, pool_bot)
        return await self.store.owned(user_id, bot_id)

    async def stop(self, user_id: str, bot_id: str) -> BotRecord:
        record = await self.store.owned(user_id, bot_id)
        pool_bot = await self._desire(record, "stopped")
        await self.store.record_seen(bot_id, pool_bot)
        return await self.store.owned(user_id, bot_id)

    async def _desire(self, record: BotRecord, desired: DesiredState) -> dict[str, Any]:
        """Record the wish first (so a reconciler pass never undoes it), then ask the pool."""
        if record.pool_id is None or record.desired_state == "provisioning":
            raise BadInput("The bot is still being provisioned", "BOT_PROVISIONING")
        await self.store.update(record.id, desired_state=desired)
        try:
            return await self._pool_call(record, "start" if desired == "running" else "stop")
        except BaseException:
            await self.store.update(record.id, desired_state=record.desired_state)
            raise

    async def _pool_call(self, record: BotRecord, action: str) -> dict[str, Any]:
        """Start or stop the bot in its pool; the pool's refusals are 400s (B3/B4 contract)."""
        assert record.pool_id is not None  # noqa: S101 - checked by _desire
        pool = self.pools.control(record.pool_id)
        try:
            if action == "start":
                try:
                    return await pool.start_bot(record.id)
                except Conflict as exc:
                    if exc.code != "BOT_ALREADY_RUNNING":
                        raise
                    return await pool.bot_status(record.id)
                except NotFound:
                    # The pool lost it (new disk, manual removal): put it back, then it starts.
                    return await pool.add_bot(await self.spec_for(record))
            try:
                return await pool.stop_bot(record.id)
            except Conflict as exc:
                if exc.code != "BOT_NOT_RUNNING":
                    raise
                return await pool.bot_status(record.id)
        except NotFound:
            raise BadInput("The bot is not running in its pool", "BOT_NOT_IN_POOL") from None
        except Conflict as exc:
            raise BadInput(exc.message, exc.code) from None

    async def delete(self, user_id: str, bot_id: str) -> Deleted:
        """Force-exit open trades, cash out the bot's value, remove it from its pool."""
        record = await self.store.owned(user_id, bot_id)
        await self.store.update(bot_id, desired_state="deleting")
        warnings: list[str] = []
        final_cents = await self._cash_out_value(user_id, record, warnings)
        if record.pool_id is not None:
            try:
                await self.pools.control(record.pool_id).remove_bot(bot_id)
            except NotFound:
                pass  # already gone, which is what we wanted
            except (BadInput, Conflict) as exc:
                warnings.append(f"pool refused removal: {exc.message} (retried automatically)")
            except ApiError as exc:
                warnings.append(f"pool not reachable: {exc} (removal retried automatically)")
        before = await self.wallet.view(user_id)
        result = await self.wallet.close_allocation(
            user_id, bot_id, final_cents, f"Cashed out {record.bot_name}"
        )
        await self.store.delete(bot_id)
        self.api.forget(bot_id)
        returned = result.returned_cents if result else 0
        logger.info("bot %s deleted, %s returned to the wallet", bot_id, dollars(returned))
        self.analytics.capture(
            "bot_deleted",
            user_id,
            {
                "bot_id": bot_id,
                "pool_id": record.pool_id,
                "strategy": record.strategy,
                "cashed_out": from_cents(returned),
                "pnl": from_cents(result.pnl_cents if result else 0),
                "warnings": len(warnings),
            },
        )
        return Deleted(
            bot_id=bot_id,
            cashed_out_cents=returned,
            pnl_cents=result.pnl_cents if result else 0,
            previous_balance_cents=before.balance_cents,
            new_balance_cents=result.wallet_balance if result else before.balance_cents,
            warnings=warnings,
        )

    async def _cash_out_value(self, user_id: str, record: BotRecord, warnings: list[str]) -> int:
        """Close the bot's trades and read what it holds; the last known value if it is down."""
        allocation = await self.wallet.allocation(user_id, record.id)
        fallback = allocation.current_value_cents if allocation else 0
        endpoint = record.endpoint
        if endpoint is None or allocation is None:
            return fallback
        try:
            if await self.api.get_json(endpoint, "/api/v1/status"):
                await self.api.post_json(endpoint, "/api/v1/forceexit", {"tradeid": "all"})
                await self._wait_trades_closed(record)
            balance = await self.api.get_json(endpoint, "/api/v1/balance")
            return to_cents(balance["total"])
        except (ApiError, KeyError, TypeError, ValueError, TimeoutError) as exc:
            warnings.append(
                f"bot did not answer ({exc}); cashed out its last known value {dollars(fallback)}"
            )
            return fallback

    async def _wait_trades_closed(self, record: BotRecord) -> None:
        endpoint = record.endpoint
        assert endpoint is not None  # noqa: S101 - checked by the caller
        deadline = time.monotonic() + EXIT_DEADLINE_S
        while await self.api.get_json(endpoint, "/api/v1/status"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"trades of {record.id} still open after {EXIT_DEADLINE_S}s")
            await asyncio.sleep(0.5)
