"""Adopts an old per-container bot: a new pool bot that continues the old bot's trades.

The folder is only read. Its trade database is snapshotted to a temporary file, which the
chosen pool copies into the new bot's folder before the bot's first start; the bot is then
provisioned like any other (id claimed, wallet allocation, placement, undo on failure).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gateway.adopt.snapshot import TradeCounts, fingerprint, snapshot_database
from gateway.adopt.source import OldBot, default_bot_id, inspect_folder
from gateway.errors import BadInput, NotFound
from gateway.services.accounts.users import UserStore
from gateway.services.trading.bots import BotService, NewBot, Provisioned
from runtime.botconfig import strategies_dir
from runtime.spec import BOT_ID_RE, IMPORT_DATABASE

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AdoptPlan:
    """What adopting a folder would do, checked but not done."""

    old: OldBot
    user_id: str
    email: str
    bot_id: str
    trades: TradeCounts


@dataclass(frozen=True)
class Adopted:
    plan: AdoptPlan
    provisioned: Provisioned
    strategy_copied_to: Path | None


class AdoptService:
    """Checks and performs adoptions; `library` is the strategies/ folder pools load from."""

    def __init__(
        self,
        *,
        users: UserStore,
        bots: BotService,
        library: Path | None = None,
        snapshot_dir: Path | None = None,
    ) -> None:
        self.users = users
        self.bots = bots
        self.library = library or strategies_dir()
        # Pools read the snapshot by path: it must live where the pool host can read it.
        self.snapshot_dir = snapshot_dir

    async def plan(self, folder: Path, email: str, bot_id: str | None = None) -> AdoptPlan:
        """Validate everything adoption needs without writing anything lasting."""
        # File work runs in a thread: the folder and the snapshot may be large.
        old = await asyncio.to_thread(inspect_folder, folder, self.library)
        user = await self.users.get_by_email(email)
        if user is None:
            raise NotFound(f"no user with e-mail {email}: create it first", "USER_NOT_FOUND")
        chosen = bot_id or default_bot_id(old.folder)
        if not BOT_ID_RE.match(chosen):
            raise BadInput(f"{chosen!r} is not a valid bot id", "ADOPT_INVALID_ID")
        if await self.bots.store.find(chosen) is not None:
            raise BadInput(
                f"a bot named {chosen} already exists: pass another --instance-id", "BOT_EXISTS"
            )
        with tempfile.TemporaryDirectory(dir=self.snapshot_dir) as work:
            trades = await asyncio.to_thread(
                snapshot_database, old.database, Path(work) / "trades.sqlite"
            )
        return AdoptPlan(old, user.id, user.email, chosen, trades)

    async def _return_imported_allocation(self, user_id: str, bot_id: str) -> None:
        # The Mongo import books the old bot's money as an allocation under its instance id:
        # that is the record of the same money, so it goes back to the wallet before
        # adoption funds the new bot from the config's dry_run_wallet.
        wallet = self.bots.wallet
        found = await wallet.allocation(user_id, bot_id)
        if found is not None:
            await wallet.close_allocation(
                user_id, bot_id, found.current_value_cents, "Returned before adopting the old bot"
            )

    async def adopt(self, folder: Path, email: str, bot_id: str | None = None) -> Adopted:
        """Create the pool bot on a copy of the old bot's trades; undo everything on failure."""
        plan = await self.plan(folder, email, bot_id)
        old = plan.old
        before = await asyncio.to_thread(fingerprint, old.folder)
        copied = await asyncio.to_thread(self._install_strategy, old)
        try:
            with tempfile.TemporaryDirectory(dir=self.snapshot_dir) as work:
                snapshot = Path(work) / "trades.sqlite"
                snapshot.parent.chmod(0o755)  # a pool running as another user reads it
                await asyncio.to_thread(snapshot_database, old.database, snapshot)
                await self._return_imported_allocation(plan.user_id, plan.bot_id)
                provisioned = await self.bots.claim_and_place(
                    plan.user_id,
                    NewBot(
                        id=plan.bot_id,
                        strategy=old.strategy.name,
                        exchange=old.exchange,
                        stake_currency=old.stake_currency,
                        stake_amount=old.stake_amount,
                        max_open_trades=old.max_open_trades,
                        timeframe=old.timeframe,
                        pairs=old.pairs,
                        initial_cents=old.wallet_cents,
                    ),
                    extra_spec={IMPORT_DATABASE: str(snapshot)},
                )
        except BaseException:
            if copied is not None:
                copied.unlink(missing_ok=True)
            raise
        if (
            await asyncio.to_thread(fingerprint, old.folder) != before
        ):  # nothing above writes there; proven, not assumed
            logger.error("the folder %s changed during adoption", old.folder)
            raise BadInput(
                f"bot {plan.bot_id} was adopted, but {old.folder} changed meanwhile: "
                "something else writes there",
                "ADOPT_SOURCE_CHANGED",
            )
        logger.info(
            "adopted %s as bot %s of %s in pool %s",
            old.folder,
            plan.bot_id,
            plan.email,
            provisioned.bot.pool_id,
        )
        return Adopted(plan, provisioned, copied)

    def _install_strategy(self, old: OldBot) -> Path | None:
        """Copy a strategy found only in the folder into strategies/; the new path, if any."""
        if not old.strategy.needs_copy or old.strategy.in_folder is None:
            return None
        target = self.library / old.strategy.in_folder.name
        shutil.copyfile(old.strategy.in_folder, target)
        logger.info("copied strategy %s to %s", old.strategy.name, target)
        return target
