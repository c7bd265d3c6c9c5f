"""The archive's manifest: what it holds, each member's sha256, and the counts to verify."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1
MANIFEST_NAME = "manifest.json"


@dataclass
class DatabasePart:
    """The gateway's database in the archive: how it was dumped and what it held."""

    kind: str  # "postgresql" (pg_dump custom format) or "sqlite" (a database file)
    member: str
    schema_revision: str
    counts: dict[str, int]  # users, wallets, ledger rows, bots
    server_version: str = ""
    dump_tool: str = ""


@dataclass
class BotPart:
    """One bot of a pool: its trade database's counts at backup time."""

    bot_id: str
    trades: int
    open_trades: int
    has_database: bool = True


@dataclass
class PoolPart:
    """One pool's data dir in the archive, under `pools/<pool_id>/`."""

    pool_id: str
    data_dir: str
    bots: list[BotPart] = field(default_factory=list)


@dataclass
class Manifest:
    """Everything `restore` needs to check an archive before it touches anything."""

    app_version: str
    created_at: str
    host: str
    include_secrets: bool
    include_logs: bool
    database: DatabasePart | None = None
    pools: list[PoolPart] = field(default_factory=list)
    strategies: list[str] = field(default_factory=list)
    strategy_repo_head: str | None = None  # the store's HEAD when its repository was bundled
    configs: list[str] = field(default_factory=list)
    members: dict[str, str] = field(default_factory=dict)  # archive path -> sha256
    format: int = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data: dict[str, Any] = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"unsupported archive format {data.get('format')!r}")
        database = data.pop("database")
        pools = data.pop("pools")
        return cls(
            **data,
            database=DatabasePart(**database) if database else None,
            pools=[
                PoolPart(
                    pool_id=p["pool_id"],
                    data_dir=p["data_dir"],
                    bots=[BotPart(**b) for b in p["bots"]],
                )
                for p in pools
            ],
        )


def sha256_of(path: Path) -> str:
    """The file's sha256 as hex, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()
