"""What the supervisor hands a bot's process to start it: shared by the seam and the child."""

from __future__ import annotations

from dataclasses import dataclass

from runtime.exchange import ExchangeSpec


@dataclass(frozen=True)
class LaunchSpec:
    """Everything a bot child needs; pickled to the forkserver, so plain values only."""

    bot_id: str
    bot_dir: str
    config_path: str
    exchange_path: str
    exchange: ExchangeSpec
    pairs: tuple[str, ...]
    log_path: str
    stdio_path: str
    error_path: str
    heartbeat_path: str
    # How the child logs (observability.logs): the pool's rule, and who the lines are about.
    pool_id: str | None = None
    owner: str | None = None
    log_json: bool = False
    log_max_bytes: int = 10 * 1024 * 1024
    log_backups: int = 3
    # The nice value the bot takes after its first loop pass (runtime/priority.py); 0 = keep.
    nice_after_start: int = 0
