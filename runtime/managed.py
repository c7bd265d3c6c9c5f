"""A bot as its pool manages it: the persisted record, the process, the folder, the change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from runtime.bot import BotProcess
from runtime.botconfig import BotPaths
from runtime.liveness.watchdog import Liveness
from runtime.spec import BotSpec
from runtime.states import Change
from runtime.status import BotSnapshot
from runtime.store import BotRecord


@dataclass
class ManagedBot:
    """A bot of this pool: its persisted record, its process, its folder, its pending change."""

    record: BotRecord
    process: BotProcess
    paths: BotPaths
    api_password: str  # derived from the pool token, never persisted
    write_config: Callable[[], None]  # (re)write config.json from the record's spec
    pending: Change = Change.NONE  # the command waiting for its process to stop
    loaded: BotSpec | None = None  # the spec its process last read its config from
    liveness: Liveness = field(default_factory=Liveness)  # its loop's heartbeats and stalls

    @property
    def auth(self) -> dict[str, str]:
        """The header that logs in to the bot's own FreqTrade API."""
        basic = aiohttp.encode_basic_auth(self.record.api.username, self.api_password)
        return {"Authorization": basic}

    def snapshot(self) -> BotSnapshot:
        """This bot as it stands now, in plain values (no I/O)."""
        proc, record = self.process, self.record
        return BotSnapshot(
            bot_id=record.spec.bot_id,
            owner=record.spec.owner,
            state=proc.state,
            desired=record.desired,
            busy=None if self.pending is Change.NONE else self.pending.value,
            pid=proc.pid,
            api_port=record.port,
            api_username=record.api.username,
            api_password=self.api_password,
            uptime_s=proc.uptime(),
            restarts=proc.restarts,
            last_exit=proc.last_exit,
            crash_code=proc.crash_code,
            crash_reason=proc.crash_reason,
            fatal_reason=proc.fatal_reason,
            folder=str(self.paths.root),
            spec=record.spec.to_dict(),
            strategy_applied=record.strategy_applied,
            strategy_applied_at=record.strategy_applied_at,
            heartbeat=self.liveness.last,
            stalled=self.liveness.stalled,
            stall_restarts=self.liveness.stall_restarts,
        )
