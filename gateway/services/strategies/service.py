"""The strategy store's operations as routes and commands call them (no HTTP in here).

Users read the published strategies (S1/S2) and switch their own bots among them (S3/S4);
admins publish, list, diff, deploy and roll back (the admin API and `cryptopilot strategies`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gateway.errors import NotFound
from gateway.models.strategies import BotStrategy, StrategyItem
from gateway.services.strategies.catalogue import StrategyCatalogue
from gateway.services.strategies.deploy import Deployed, StrategyDeployer
from gateway.services.strategies.gitrepo import Author
from gateway.services.strategies.metadata import StrategyMeta
from gateway.services.strategies.store import Change, StrategyStore, Version
from gateway.services.strategies.watch import StrategyWatch, listing
from gateway.services.trading.botstore import BotStore
from gateway.services.trading.market import check_strategy


@dataclass(frozen=True)
class DeployTarget:
    """Where a deploy goes: one bot, every bot on the strategy, and/or the default."""

    bot_id: str | None = None
    all_bots: bool = False
    default: bool = False


@dataclass(frozen=True)
class DeployOutcome:
    version: Version
    bots: list[Deployed]
    default_set: bool


class StrategyService:
    """Store, catalogue, deployer and watch behind one set of use cases."""

    def __init__(
        self,
        *,
        store: StrategyStore,
        catalogue: StrategyCatalogue,
        deployer: StrategyDeployer,
        watch: StrategyWatch,
        bots: BotStore,
    ) -> None:
        self.store = store
        self.catalogue = catalogue
        self.deployer = deployer
        self.watch = watch
        self.bots = bots

    async def start(self, seed: Path) -> None:
        """Open the store (created and seeded from `seed` on first start) and read it."""
        await self.store.open(seed)
        await self.refresh()

    async def refresh(self) -> None:
        """One watch pass: the catalogue and the WebSocket clients follow the store's HEAD."""
        await self.catalogue.refresh()
        await self.watch.poll()

    # -- users --------------------------------------------------------------------------------

    async def listing(self) -> list[StrategyItem]:
        """S1's items."""
        return listing(await self.store.catalogue())

    async def bot_strategy(self, user_id: str, bot_id: str) -> BotStrategy:
        """S3: the strategy the user's bot runs, the published names, and its store version."""
        record = await self.bots.owned(user_id, bot_id)
        return {
            "current": record.strategy,
            "instanceId": record.id,
            "available": list(self.catalogue.library().names),
            "version": record.strategy_version,
            "commit": record.strategy_commit,
        }

    async def switch(self, user_id: str, bot_id: str, strategy: str) -> Deployed:
        """S4: run the strategy's current published version on the user's own bot."""
        record = await self.bots.owned(user_id, bot_id)
        check_strategy(self.catalogue.library(), strategy)
        version = await self.deployer.default_version(strategy)
        return await self.deployer.deploy(record, version)

    # -- admins -------------------------------------------------------------------------------

    async def publish(self, change: Change, author: Author) -> list[StrategyMeta]:
        published = await self.store.publish(change, author)
        await self.refresh()
        return published

    async def deploy(
        self, strategy: str, number: int | None, target: DeployTarget, by: str
    ) -> DeployOutcome:
        """Deploy a version (None: latest) to one bot, every bot on it, and/or as default."""
        version = await self.store.version(strategy, number)
        if target.default:
            await self.deployer.set_default(strategy, version.version, by)
        done: list[Deployed] = []
        if target.bot_id is not None:
            record = await self.bots.find(target.bot_id)
            if record is None:
                raise NotFound(f"No bot {target.bot_id}", "BOT_NOT_FOUND")
            done.append(await self.deployer.deploy(record, version))
        if target.all_bots:
            done.extend(await self.deployer.deploy_to_strategy(strategy, version.version))
        return DeployOutcome(version, done, target.default)

    async def rollback(self, strategy: str, number: int, by: str) -> DeployOutcome:
        """Version `number` becomes the default again and runs on every bot of the strategy."""
        version = await self.store.version(strategy, number)
        done = await self.deployer.rollback(strategy, number, by)
        return DeployOutcome(version, done, True)
