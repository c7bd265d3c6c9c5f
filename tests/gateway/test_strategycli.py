"""`cryptopilot strategies …` on a real repository and database (no validation needed here:
uploads and imports are covered by tests/gateway/handlers/test_strategies.py and the store's
tests)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest

from gateway import strategycli
from gateway.settings import Settings
from gateway.usercli import create_user

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> Settings:
    monkeypatch.setenv("CRYPTOPILOT_ENV", "test")
    monkeypatch.setenv("CRYPTOPILOT_DATABASE_URL", db_url)
    monkeypatch.setenv("CRYPTOPILOT_BCRYPT_ROUNDS", "4")
    monkeypatch.setenv("CRYPTOPILOT_STRATEGY_REPO", str(tmp_path / "repo"))
    settings = Settings.from_env()
    asyncio.run(create_user(settings, "root@example.com", "admin-pass", "root", admin=True))
    asyncio.run(create_user(settings, "alice@example.com", "alice-pass", None, admin=False))
    return settings


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    strategycli.register(parser.add_subparsers())
    args = parser.parse_args(["strategies", *argv])
    status: int = args.func(args)
    return status


def test_read_commands_default_and_rollback(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("list") == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == [
        "EmaRsiStrategy",
        "SafeDefaultStrategy",
        "SandboxScalp1m",
    ]
    assert "v1" in listed[0] and "ema_rsi_strategy.py" in listed[0]
    assert run("versions", "EmaRsiStrategy") == 0
    assert "Shipped with Crypto-Pilot" in capsys.readouterr().out
    assert run("show", "EmaRsiStrategy") == 0
    shown = capsys.readouterr().out
    assert "class EmaRsiStrategy(" in shown and "validation report: null" in shown
    assert run("diff", "EmaRsiStrategy", "1", "1") == 0
    assert capsys.readouterr().out == ""

    assert run("deploy", "EmaRsiStrategy", "--default", "--admin", "root@example.com") == 0
    assert "default of EmaRsiStrategy is version 1" in capsys.readouterr().out
    assert run("rollback", "EmaRsiStrategy", "1", "--admin", "root@example.com") == 0
    assert run("versions", "Nope") == 1
    assert "Strategy not found: Nope" in capsys.readouterr().err


def test_writes_need_an_admin(env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ("deploy", "EmaRsiStrategy", "--default", "--admin", "alice@example.com"),
        ("rollback", "EmaRsiStrategy", "1", "--admin", "nobody@example.com"),
        ("import", str(Path(__file__).parent), "--admin", "alice@example.com"),
    ):
        assert run(*argv) == 1
        assert "--admin must name an admin user" in capsys.readouterr().err
    assert run("deploy", "EmaRsiStrategy", "--admin", "root@example.com") == 1
    assert "say where" in capsys.readouterr().err
