"""Roles: the CLI creates the first admin; admin-only routes refuse plain users."""

from __future__ import annotations

import argparse
import asyncio
import functools
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from gateway import cli
from migrations import migrate
from tests.gateway.conftest import AppClient, register_and_login


def run_cli(monkeypatch: pytest.MonkeyPatch, db_url: str, *argv: str) -> int:
    monkeypatch.setenv("CRYPTOPILOT_DATABASE_URL", db_url)
    monkeypatch.setenv("CRYPTOPILOT_BCRYPT_ROUNDS", "4")
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    result: int = args.func(args)
    return result


@pytest.fixture
def cli_admin(monkeypatch: pytest.MonkeyPatch, db_url: str) -> tuple[str, str]:
    status = run_cli(
        monkeypatch, db_url, "user", "create", "--admin",
        "--email", "root@example.com", "--password", "admin-pass", "--name", "root",
    )  # fmt: skip
    assert status == 0
    return "root@example.com", "admin-pass"


def test_db_upgrade_twice(monkeypatch: pytest.MonkeyPatch, db_url: str, capsys) -> None:
    assert run_cli(monkeypatch, db_url, "db", "upgrade") == 0
    assert run_cli(monkeypatch, db_url, "db", "upgrade") == 0
    assert "up to date" in capsys.readouterr().out


def test_db_upgrade_reports_the_revisions(monkeypatch, tmp_path: Path, capsys) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'new.sqlite3'}"
    assert run_cli(monkeypatch, url, "db", "upgrade") == 0
    shipped = ScriptDirectory.from_config(migrate.config()).walk_revisions()
    assert f"applied revisions: {[s.revision for s in reversed(list(shipped))]}" in (
        capsys.readouterr().out
    )


def test_db_revision_writes_the_next_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    versions = tmp_path / "versions"
    versions.mkdir()
    write = migrate.new_revision
    monkeypatch.setattr(migrate, "new_revision", functools.partial(write, directory=versions))

    assert run_cli(monkeypatch, url, "db", "revision", "add a thing") == 1
    assert "not up to date" in capsys.readouterr().err
    assert run_cli(monkeypatch, url, "db", "upgrade") == 0
    assert run_cli(monkeypatch, url, "db", "revision", "add a thing", "--empty") == 0
    head = ScriptDirectory.from_config(migrate.config()).get_current_head()
    path = versions / f"{int(head or 0) + 1:04d}_add_a_thing.py"
    assert f"wrote {path}" in capsys.readouterr().out
    assert f'down_revision: str | None = "{head}"' in path.read_text()


async def test_admin_route_needs_admin_role(client: AppClient, cli_admin) -> None:
    email, password = cli_admin
    user = await register_and_login(client)
    response = await client.get("/api/admin/users", headers=user.auth)
    body = await response.json()
    assert response.status == 403 and body["code"] == "ADMIN_REQUIRED"
    assert (await client.get("/api/admin/users")).status == 401

    login = await client.post("/api/auth/login", json={"email": email, "password": password})
    token = (await login.json())["token"]
    response = await client.get("/api/admin/users", headers={"Authorization": f"Bearer {token}"})
    body = await response.json()
    assert response.status == 200 and body["count"] == 2
    roles = {u["email"]: u["role"] for u in body["data"]}
    assert roles == {"root@example.com": "admin", "alice@example.com": "user"}
    verify = await client.get(
        "/api/auth/verify-token", headers={"Authorization": f"Bearer {token}"}
    )
    assert (await verify.json())["user"]["role"] == "admin"


async def test_cli_creates_plain_users_and_refuses_duplicates(
    monkeypatch: pytest.MonkeyPatch, db_url: str, client: AppClient
) -> None:
    args = ("user", "create", "--email", "carol@example.com", "--password", "carol-pass")
    # The CLI runs its own event loop: call it from a thread, as from a shell.
    assert await asyncio.to_thread(run_cli, monkeypatch, db_url, *args) == 0
    assert await asyncio.to_thread(run_cli, monkeypatch, db_url, *args) == 1
    login = await client.post(
        "/api/auth/login", json={"email": "carol@example.com", "password": "carol-pass"}
    )
    body = await login.json()
    assert login.status == 200 and body["data"]["user"]["name"] == "carol"
