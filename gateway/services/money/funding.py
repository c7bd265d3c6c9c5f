"""Moving paper money between the wallet and a running bot (W5, W6) and wallet sync (W7).

A bot's FreqTrade wallet is its `dry_run_wallet`: FreqTrade computes the free balance as that
amount plus closed profits minus open stakes, so adding or returning money is a change of
`dry_run_wallet` by exactly that amount. The pool applies it by restarting the bot on the same
database: open trades continue. The pool change and the wallet booking are paired so that a
failure of either leaves both as they were.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from gateway.errors import BadInput, Conflict, NotFound
from gateway.services.money.money import from_cents, to_cents
from gateway.services.money.wallet import ReturnResult, SyncResult, WalletMove, WalletService
from gateway.services.pools.directory import PoolDirectory
from gateway.services.trading.botapi import BotApiClient, BotOffline
from gateway.services.trading.botstore import BotRecord, BotStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveValue:
    """What a bot holds now, in cents of its stake currency (1:1 with the USD wallet)."""

    current_cents: int
    reserved_cents: int


class FundingService:
    """W5-W7 on top of the wallet, the bots' pools and the bots' own APIs."""

    def __init__(
        self, *, wallet: WalletService, store: BotStore, pools: PoolDirectory, api: BotApiClient
    ) -> None:
        self.wallet = wallet
        self.store = store
        self.pools = pools
        self.api = api

    async def add_to_bot(self, user_id: str, bot_id: str, cents: int) -> WalletMove:
        record = await self.store.owned(user_id, bot_id)
        if await self.wallet.allocation(user_id, bot_id) is None:
            raise NotFound("No wallet allocation found for this bot", "NO_ALLOCATION")
        view = await self.wallet.view(user_id)
        if cents > view.balance_cents:
            raise BadInput("Insufficient funds in wallet", "INSUFFICIENT_FUNDS")
        new_wallet = record.wallet_cents + cents
        await self._set_bot_wallet(record, new_wallet)
        try:
            move = await self.wallet.add_to_allocation(user_id, bot_id, cents)
        except BaseException:
            await self._set_bot_wallet(record, record.wallet_cents)  # put the bot back
            raise
        await self.store.update(bot_id, wallet_cents=new_wallet)
        return move

    async def return_from_bot(self, user_id: str, bot_id: str, cents: int | None) -> ReturnResult:
        """Return `cents` (None = everything) unless it is locked in open trades."""
        record = await self.store.owned(user_id, bot_id)
        live = await self.live_value(record)
        amount = await self.wallet.check_return(
            user_id,
            bot_id,
            cents,
            current_value_cents=live.current_cents,
            reserved_cents=live.reserved_cents,
        )
        full = amount >= live.current_cents
        new_wallet = record.wallet_cents - amount
        if not full and new_wallet <= 0:
            raise BadInput(
                "Cannot return more than the bot was funded with while it keeps trading",
                "RETURN_EXCEEDS_VALUE",
            )
        if full:
            # Nothing is left to trade with: stop the bot (its history stays until deleted).
            await self._stop(record)
        else:
            await self._set_bot_wallet(record, new_wallet)
        try:
            result = await self.wallet.return_from_allocation(
                user_id, bot_id, amount, current_value_cents=live.current_cents
            )
        except BaseException:
            if not full:
                await self._set_bot_wallet(record, record.wallet_cents)
            raise
        await self.store.update(
            bot_id,
            wallet_cents=record.wallet_cents if full else new_wallet,
            desired_state="stopped" if full else record.desired_state,
        )
        return result

    async def sync(self, user_id: str) -> tuple[SyncResult, int]:
        """W7: return the allocations of bots that no longer exist; (result, running bots)."""
        bots = await self.store.list_for_user(user_id)
        result = await self.wallet.sync(user_id, {b.id for b in bots})
        running = sum(1 for b in bots if b.observed_state == "running")
        return result, running

    async def live_value(self, record: BotRecord) -> LiveValue:
        """The bot's balance and the stake locked in its open trades, from its own API."""
        endpoint = record.endpoint
        if endpoint is None:
            raise BotOffline(record.id, "the bot has not started yet")
        try:
            balance: Any = await self.api.get_json(endpoint, "/api/v1/balance")
            trades: Any = await self.api.get_json(endpoint, "/api/v1/status")
            reserved = sum(float(t.get("stake_amount") or 0) for t in trades)
            return LiveValue(to_cents(balance["total"]), to_cents(reserved))
        except (KeyError, TypeError, ValueError) as exc:
            raise BotOffline(record.id, f"unexpected balance answer: {exc}") from None

    async def _set_bot_wallet(self, record: BotRecord, cents: int) -> None:
        await self._pool(record, "update", {"dry_run_wallet": from_cents(cents)})

    async def _stop(self, record: BotRecord) -> None:
        await self._pool(record, "stop", None)

    async def _pool(self, record: BotRecord, action: str, changes: dict[str, Any] | None) -> None:
        if record.pool_id is None:
            raise BadInput("The bot is still being provisioned", "BOT_PROVISIONING")
        pool = self.pools.control(record.pool_id)
        try:
            if action == "update":
                await pool.update_bot(record.id, changes or {})
            else:
                await pool.stop_bot(record.id)
        except (NotFound, Conflict) as exc:
            if exc.code == "BOT_NOT_RUNNING":
                return
            # W5/W6 have always answered a pool's refusal with 400 and the pool's code.
            raise BadInput(exc.message, exc.code) from None
