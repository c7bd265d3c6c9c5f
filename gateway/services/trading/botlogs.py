"""A bot's own FreqTrade log for its owner, read from the pool that runs it.

The pool reads the last records from the bot's rotated log files (runtime/rpc/commands/
bot_logs.py); this service only decides who may see them: the owner, and to everyone else
the bot does not exist (404, like an unknown id: no one learns which ids are taken).
"""

from __future__ import annotations

from typing import Any

from gateway.errors import BadInput, NotFound
from gateway.services.pools.directory import PoolDirectory
from gateway.services.trading.botstore import BotStore


class BotLogs:
    """`read(user_id, bot_id, lines=, level=)` -> the pool's `logs` list."""

    def __init__(self, store: BotStore, pools: PoolDirectory) -> None:
        self.store = store
        self.pools = pools

    async def read(self, user_id: str, bot_id: str, *, lines: int, level: str) -> list[Any]:
        """The bot's last `lines` records at or above `level`, oldest first."""
        record = await self.store.find(bot_id)
        if record is None or record.user_id != user_id or record.desired_state == "deleting":
            raise NotFound("Instance not found", "BOT_NOT_FOUND")
        if record.pool_id is None:
            raise BadInput("The bot is still being provisioned", "BOT_PROVISIONING")
        try:
            found = await self.pools.control(record.pool_id).bot_logs(
                bot_id, lines=lines, level=level
            )
        except NotFound:
            raise BadInput("The bot is not running in its pool", "BOT_NOT_IN_POOL") from None
        return list(found["logs"])
