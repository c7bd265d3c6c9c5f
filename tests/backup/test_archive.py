"""The archive format: encryption, checksums, secrets, counts and refusals, on small data."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import os
import sqlite3
import tarfile
from pathlib import Path

import pytest

from backup.cli import PASSPHRASE_ENV
from backup.configs import redact
from backup.create import BackupRequest, create_backup
from backup.crypto import CHUNK_SIZE, DecryptingReader, EncryptingWriter
from backup.errors import (
    BackupError,
    ChecksumMismatch,
    CorruptArchive,
    TargetNotEmpty,
    WrongPassphrase,
)
from backup.pgtools import find_tool
from backup.pools import pool_dirs
from backup.progress import Progress
from backup.restore import RestoreRequest, restore_backup
from cli.main import main
from gateway.db.database import Database
from gateway.services.common import utcnow
from gateway.services.money.wallet import WalletService
from gateway.settings import Settings
from gateway.usercli import create_user
from runtime.botconfig import BotPaths
from runtime.spec import BotSpec
from runtime.store import ApiCredentials, BotRecord, PoolStore

PASSPHRASE = "correct horse battery staple"
JWT_SECRET = "jwt-secret-that-must-not-leak-" + "x" * 16
POOL_TOKEN = "pool-token-that-must-not-leak"
QUIET = Progress(quiet=True)


def _plain(archive: Path, passphrase: str = PASSPHRASE) -> bytes:
    """The archive's decrypted tar.gz stream."""
    with archive.open("rb") as source:
        return DecryptingReader(source, passphrase).read()


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(_plain(archive)), mode="r:gz") as tar:
        return {
            m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        }


def _encrypt(path: Path, plain: bytes) -> None:
    with path.open("wb") as sink:
        writer = EncryptingWriter(sink, PASSPHRASE)
        writer.write(plain)
        writer.close()


def _trade_database(path: Path, trades: int, open_trades: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE trades (id INTEGER PRIMARY KEY, pair TEXT, is_open BOOLEAN)")
        conn.executemany(
            "INSERT INTO trades (pair, is_open) VALUES (?, ?)",
            [("BTC/USDT", i < open_trades) for i in range(trades)],
        )
    # The bot writes in WAL mode: the copy must still stand alone.
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


async def _user_with_wallet(settings: Settings) -> None:
    user_id = await create_user(settings, "alice@example.com", "correct-horse-1", None, admin=False)
    db = Database(settings.database_url)
    try:
        wallet = WalletService(
            db, utcnow, starting_balance_cents=100_000, max_wallet_cents=10_000_000
        )
        await wallet.deposit(user_id, 5_000, "top-up")  # the starting deposit, then this one
    finally:
        await db.close()


@pytest.fixture
def platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path, Path]:
    """A gateway SQLite database with one user, a pool with two bots, an env file."""
    monkeypatch.setenv("CRYPTOPILOT_JWT_SECRET", JWT_SECRET)
    monkeypatch.setenv("CRYPTOPILOT_POOL_TOKEN", POOL_TOKEN)
    url = f"sqlite+aiosqlite:///{tmp_path / 'old' / 'gateway.sqlite3'}"
    settings = Settings(env="test", database_url=url, bcrypt_rounds=4)
    asyncio.run(_user_with_wallet(settings))
    pool_dir = tmp_path / "old" / "pool-1"
    records = {}
    for number, bot_id in enumerate(("bot-a", "bot-b")):
        spec = BotSpec(bot_id, "alice", "SafeDefaultStrategy", ["BTC/USDT"], "USDT", 100.0)
        records[bot_id] = BotRecord(
            spec, 18100 + number, "running", ApiCredentials.generate(bot_id)
        )
        paths = BotPaths.of(pool_dir, bot_id)
        _trade_database(paths.database, trades=3 + number, open_trades=1)
        paths.config.write_text(json.dumps({"bot_name": bot_id}) + "\n")
    PoolStore(pool_dir, "pool-1").save(records)
    env_file = tmp_path / "old" / "gateway.env"
    env_file.write_text(
        f"CRYPTOPILOT_ENV=production\nCRYPTOPILOT_JWT_SECRET={JWT_SECRET}\n"
        "CRYPTOPILOT_DATABASE_URL=postgresql+asyncpg://cp:db-password-here@db/cp\n"
    )
    return url, pool_dir, env_file


async def _backup(
    platform: tuple[str, Path, Path], out: Path, *, include_secrets: bool = False
) -> None:
    url, pool_dir, env_file = platform
    request = BackupRequest(
        out=out,
        passphrase=PASSPHRASE,
        database_url=url,
        pool_dirs=[pool_dir],
        env_files=[env_file],
        include_secrets=include_secrets,
    )
    await create_backup(request, QUIET)


def _restore_request(tmp_path: Path, archive: Path, **options: object) -> RestoreRequest:
    new = tmp_path / "new"
    return RestoreRequest(
        archive=archive,
        passphrase=str(options.pop("passphrase", PASSPHRASE)),
        database_url=f"sqlite+aiosqlite:///{new / 'gateway.sqlite3'}",
        config_out=new / "restore",
        pool_dirs={"pool-1": new / "pool-1"},
        **options,  # type: ignore[arg-type]
    )


def test_chunks_round_trip_and_any_change_is_caught(tmp_path: Path) -> None:
    plain = os.urandom(2 * CHUNK_SIZE + 123)
    archive = tmp_path / "a.cpbk"
    _encrypt(archive, plain)
    assert _plain(archive) == plain
    data = archive.read_bytes()
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        _plain(archive, "not the passphrase at all")
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 1
    (tmp_path / "flipped").write_bytes(bytes(flipped))
    with pytest.raises(CorruptArchive, match="fails authentication"):
        _plain(tmp_path / "flipped")
    # Cut at a chunk boundary: every remaining chunk authenticates, the end flag does not.
    boundary = len(data) - (4 + 123 + 16)
    (tmp_path / "cut").write_bytes(data[:boundary])
    with pytest.raises(CorruptArchive):
        _plain(tmp_path / "cut")
    (tmp_path / "junk").write_bytes(b"not an archive")
    with pytest.raises(CorruptArchive, match="not a Crypto-Pilot backup"):
        _plain(tmp_path / "junk")


def test_short_passphrase_is_refused(tmp_path: Path) -> None:
    with (tmp_path / "x").open("wb") as sink, pytest.raises(ValueError, match="at least"):
        EncryptingWriter(sink, "short")


async def test_round_trip_restores_everything_and_counts(
    platform: tuple[str, Path, Path], tmp_path: Path
) -> None:
    archive = tmp_path / "backup.cpbk"
    await _backup(platform, archive)
    assert archive.stat().st_mode & 0o077 == 0
    report = await restore_backup(_restore_request(tmp_path, archive), QUIET)

    assert report.counts == {"users": 1, "wallets": 1, "ledger": 2, "bots": 0}
    pool = report.manifest.pools[0]
    assert pool.pool_id == "pool-1"
    assert [(b.bot_id, b.trades, b.open_trades) for b in pool.bots] == [
        ("bot-a", 3, 1),
        ("bot-b", 4, 1),
    ]
    old_pool, new_pool = platform[1], tmp_path / "new" / "pool-1"
    assert PoolStore(new_pool, "pool-1").load() == PoolStore(old_pool, "pool-1").load()
    for bot_id in ("bot-a", "bot-b"):
        old, new = BotPaths.of(old_pool, bot_id), BotPaths.of(new_pool, bot_id)
        with sqlite3.connect(old.database) as a, sqlite3.connect(new.database) as b:
            query = "SELECT * FROM trades ORDER BY id"
            assert a.execute(query).fetchall() == b.execute(query).fetchall()
        assert new.config.read_text() == old.config.read_text()
    steps = "\n".join(report.steps)
    assert "CRYPTOPILOT_JWT_SECRET" in steps and "DNS" in steps and "VITE_API_URL" in steps
    assert "Pool pool-1" in steps and str(new_pool) in steps

    # A second restore onto the same targets is refused, then allowed with --force.
    with pytest.raises(TargetNotEmpty):
        await restore_backup(_restore_request(tmp_path, archive), QUIET)
    forced = await restore_backup(_restore_request(tmp_path, archive, force=True), QUIET)
    assert forced.counts == report.counts


async def test_secrets_only_with_include_secrets(
    platform: tuple[str, Path, Path], tmp_path: Path
) -> None:
    without, with_ = tmp_path / "plain.cpbk", tmp_path / "secrets.cpbk"
    await _backup(platform, without)
    await _backup(platform, with_, include_secrets=True)

    members = _members(without)
    everything = b"".join(members.values())
    assert JWT_SECRET.encode() not in everything and POOL_TOKEN.encode() not in everything
    assert b"db-password-here" not in everything
    assert not any(name.startswith("secrets/") for name in members)
    assert b"CRYPTOPILOT_JWT_SECRET=\n" in members["config/gateway.env"]
    assert b"CRYPTOPILOT_ENV=production" in members["config/gateway.env"]

    secret_members = _members(with_)
    assert JWT_SECRET.encode() in secret_members["secrets/secrets.env"]
    assert POOL_TOKEN.encode() in secret_members["secrets/secrets.env"]
    assert JWT_SECRET.encode() in secret_members["config/gateway.env"]
    report = await restore_backup(_restore_request(tmp_path, with_), QUIET)
    written = tmp_path / "new" / "restore" / "secrets" / "secrets.env"
    assert written.stat().st_mode & 0o077 == 0
    assert JWT_SECRET in written.read_text()
    assert "Secrets: move the values" in report.steps[0]


async def test_tampered_member_fails_its_checksum(
    platform: tuple[str, Path, Path], tmp_path: Path
) -> None:
    """Someone with the passphrase changes a member: the manifest's sha256 catches it."""
    archive = tmp_path / "backup.cpbk"
    await _backup(platform, archive)
    members = _members(archive)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in members.items():
            if name == "pools/pool-1/pool.json":
                content = content.replace(b'"running"', b'"stopped"')
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    tampered = tmp_path / "tampered.cpbk"
    _encrypt(tampered, buffer.getvalue())
    with pytest.raises(ChecksumMismatch, match=r"pools/pool-1/pool\.json"):
        await restore_backup(_restore_request(tmp_path, tampered), QUIET)
    assert not (tmp_path / "new" / "pool-1").exists()
    assert not (tmp_path / "new" / "gateway.sqlite3").exists()


async def test_wrong_passphrase_is_a_clear_error(
    platform: tuple[str, Path, Path], tmp_path: Path
) -> None:
    archive = tmp_path / "backup.cpbk"
    await _backup(platform, archive)
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        await restore_backup(
            _restore_request(tmp_path, archive, passphrase="another long passphrase"), QUIET
        )


def test_cli_reads_the_passphrase_from_a_file_or_the_environment(
    platform: tuple[str, Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, pool_dir, _ = platform
    monkeypatch.setenv("CRYPTOPILOT_DATABASE_URL", url)
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    archive = tmp_path / "cli.cpbk"
    assert main(["backup", str(archive), "--pool-dir", str(pool_dir)]) == 1
    assert PASSPHRASE_ENV in capsys.readouterr().err

    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    args = ["--passphrase-file", str(passphrase_file)]
    assert main(["backup", str(archive), "--pool-dir", str(pool_dir), *args]) == 0
    assert '"bot-b": 4' in capsys.readouterr().out

    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    monkeypatch.setenv("CRYPTOPILOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'n.db'}")
    target = f"pool-1={tmp_path / 'restored-pool'}"
    config_out = str(tmp_path / "out")
    assert main(["restore", str(archive), "--pool-dir", target, "--config-out", config_out]) == 0
    printed = capsys.readouterr()
    assert "pool pool-1: 2 bots, 7 trades" in printed.out and "Left to do:" in printed.out
    assert "==> decrypting" in printed.err
    assert main(["restore", str(archive), "--pool-dir", "nope=/x"]) == 1
    assert "no pool nope" in capsys.readouterr().err


def test_redact_empties_secrets_and_url_passwords() -> None:
    text = (
        "# comment\nexport CRYPTOPILOT_SMTP_PASSWORD=hunter2\nCRYPTOPILOT_PORT=8080\n"
        "CRYPTOPILOT_POOL_SYNC_DATABASE_URL=postgresql+asyncpg://u:p@h/d\n"
        "OTHER_URL=https://user:pw@example.com/x\nMY_API_TOKEN = abc\n"
    )
    assert redact(text) == (
        "# comment\nexport CRYPTOPILOT_SMTP_PASSWORD=\nCRYPTOPILOT_PORT=8080\n"
        "CRYPTOPILOT_POOL_SYNC_DATABASE_URL=\n"
        "OTHER_URL=https://user@example.com/x\nMY_API_TOKEN = \n"
    )


def test_pools_come_from_the_pool_settings_unless_given(
    platform: tuple[str, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool_dir = platform[1]
    monkeypatch.setenv("CRYPTOPILOT_POOL_DATA_DIR", str(pool_dir))
    assert pool_dirs([]) == [pool_dir.resolve()]
    monkeypatch.setenv("CRYPTOPILOT_POOL_DATA_DIR", str(tmp_path / "nothing-here"))
    assert pool_dirs([]) == []
    with pytest.raises(BackupError, match="not a pool data dir"):
        pool_dirs([tmp_path])


async def test_an_old_pg_dump_is_refused_with_the_package_to_install(tmp_path: Path) -> None:
    old = tmp_path / "pg_dump"
    old.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 13.9'\n")
    old.chmod(0o755)
    with pytest.raises(BackupError, match="postgresql-client-15"):
        await find_tool("pg_dump", 15, str(old))
    assert await find_tool("pg_dump", 13, str(old)) == (str(old), "13.9")


async def test_a_database_of_another_kind_is_refused_before_anything_is_touched(
    platform: tuple[str, Path, Path], tmp_path: Path
) -> None:
    archive = tmp_path / "backup.cpbk"
    await _backup(platform, archive)
    request = dataclasses.replace(
        _restore_request(tmp_path, archive), database_url="postgresql+asyncpg://u@127.0.0.1/x"
    )
    with pytest.raises(BackupError, match="holds a sqlite database"):
        await restore_backup(request, QUIET)
    assert not (tmp_path / "new" / "pool-1").exists()
