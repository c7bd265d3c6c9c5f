"""pool.json: the pool's persisted bots (spec, port, desired state, API secrets)."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.spec import BotSpec

STORE_VERSION = 1


@dataclass(frozen=True)
class ApiCredentials:
    """A bot's own REST API user and the secrets FreqTrade signs with.

    Its password is not kept: it is derived from the pool token (runtime/credentials.py).
    """

    username: str
    jwt_secret: str
    ws_token: str

    @classmethod
    def generate(cls, bot_id: str) -> ApiCredentials:
        return cls(
            username=f"bot-{bot_id}"[:64],
            jwt_secret=secrets.token_hex(32),
            ws_token=secrets.token_urlsafe(24),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApiCredentials:
        # A pool.json of earlier versions holds a random `password`: dropped, as the derived
        # one replaces it in the config written before the bot's next start.
        return cls(
            username=data["username"], jwt_secret=data["jwt_secret"], ws_token=data["ws_token"]
        )


@dataclass
class BotRecord:
    """Everything needed to bring a bot back after a supervisor restart."""

    spec: BotSpec
    port: int
    desired: str  # "running" or "stopped"
    api: ApiCredentials
    # How the last strategy deploy reached the running bot ("reload" or "restart") and when
    # (ISO 8601, UTC); None until a deploy to a running bot, and after one stored only.
    strategy_applied: str | None = None
    strategy_applied_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec.to_dict(),
            "port": self.port,
            "desired": self.desired,
            "api": vars(self.api),
            "strategy_applied": self.strategy_applied,
            "strategy_applied_at": self.strategy_applied_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BotRecord:
        return cls(
            spec=BotSpec.from_dict(data["spec"]),
            port=int(data["port"]),
            desired=str(data["desired"]),
            api=ApiCredentials.from_dict(data["api"]),
            strategy_applied=data.get("strategy_applied"),
            strategy_applied_at=data.get("strategy_applied_at"),
        )


def atomic_write(path: Path, text: str, mode: int = 0o600) -> None:
    """Write via a temporary file, fsync, rename: readers see the old or the new file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class PoolStore:
    """Loads and saves `<data_dir>/pool.json`."""

    def __init__(self, data_dir: Path, pool_id: str) -> None:
        self.path = data_dir / "pool.json"
        self.pool_id = pool_id

    def load(self) -> dict[str, BotRecord]:
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_text(encoding="utf-8"))
        if data.get("version") != STORE_VERSION:
            raise ValueError(f"{self.path}: unsupported version {data.get('version')!r}")
        return {bot_id: BotRecord.from_dict(rec) for bot_id, rec in data["bots"].items()}

    def save(self, records: dict[str, BotRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "version": STORE_VERSION,
            "pool_id": self.pool_id,
            "bots": {bot_id: rec.to_dict() for bot_id, rec in sorted(records.items())},
        }
        atomic_write(self.path, json.dumps(data, indent=2, sort_keys=True) + "\n")
