"""S1/S2, the admin strategy API and /ws/strategies on a real store with real validation.

S3/S4 and deploys run against real bots in tests/gateway/test_strategies_e2e.py.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType

from gateway.keys import SERVICES, SETTINGS
from gateway.usercli import create_user
from tests.fixtures.firebase import FirebaseEmulator
from tests.gateway.conftest import PASSWORD, Account, AppClient, ClientFactory, register_and_login
from tests.gateway.services.strategies.conftest import scalp_source

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

SHIPPED = ["EmaRsiStrategy", "SafeDefaultStrategy", "SandboxScalp1m"]
WRITES = [
    ("POST", "/api/admin/strategies", {"fileName": "X.py", "source": "x", "message": "m"}),
    ("POST", "/api/admin/strategies/EmaRsiStrategy/deploy", {"default": True}),
    ("POST", "/api/admin/strategies/EmaRsiStrategy/rollback", {"version": 1}),
]
READS = [
    "/api/admin/strategies",
    "/api/admin/strategies/EmaRsiStrategy/versions",
    "/api/admin/strategies/EmaRsiStrategy/versions/1",
    "/api/admin/strategies/EmaRsiStrategy/diff?old=1&new=1",
]


@pytest.fixture
async def strategy_client(
    make_client: ClientFactory, sandbox_url: str, firebase_emulator: FirebaseEmulator
) -> AppClient:
    return await make_client(
        market_url=sandbox_url,
        strategy_watch_interval=0.2,
        firebase_auth_emulator_host=firebase_emulator.host,
        firebase_project_id=firebase_emulator.project_id,
    )


async def admin_of(client: AppClient) -> Account:
    settings = client.app[SETTINGS]
    await create_user(settings, "root@example.com", PASSWORD, "root", admin=True)
    response = await client.post(
        "/api/auth/login", json={"email": "root@example.com", "password": PASSWORD}
    )
    body = await response.json()
    return Account("root@example.com", PASSWORD, body["token"], body["data"]["user"]["id"], body)


async def received(socket: Any) -> dict[str, Any]:
    message = await socket.receive(timeout=20.0)
    assert message.type == WSMsgType.TEXT, message
    data: dict[str, Any] = message.json()
    return data


def check_item(item: dict[str, Any]) -> None:
    assert set(item) == {"name", "className", "description", "fileName"}
    assert all(isinstance(value, str) and value for value in item.values())


async def test_s1_and_s2_list_the_published_strategies_with_the_contract_fields(
    strategy_client: AppClient,
) -> None:
    alice = await register_and_login(strategy_client)
    response = await strategy_client.get("/api/freqtrade/strategies", headers=alice.auth)
    assert response.status == 200
    body = await response.json()
    assert body["success"] is True
    for item in body["strategies"]:
        check_item(item)
    assert [s["name"] for s in body["strategies"]] == SHIPPED
    ema = body["strategies"][0]
    assert (ema["className"], ema["fileName"]) == ("EmaRsiStrategy", "ema_rsi_strategy.py")

    response = await strategy_client.get("/api/freqtrade/strategies/enhanced", headers=alice.auth)
    assert response.status == 200
    enhanced = (await response.json())["strategies"]
    assert [s["name"] for s in enhanced] == SHIPPED
    for item in enhanced:
        for key in ("name", "displayName", "description", "riskLevel", "recommendedFor"):
            assert isinstance(item[key], str)
        assert isinstance(item["features"], list)
        assert isinstance(item["defaultRiskTemplate"], str) and item["defaultRiskTemplate"]
    assert (await strategy_client.get("/api/freqtrade/strategies")).status == 401
    response = await strategy_client.get("/api/freqtrade/bots/nope/strategy", headers=alice.auth)
    assert response.status == 404


async def test_a_non_admin_is_refused_on_every_admin_route(strategy_client: AppClient) -> None:
    alice = await register_and_login(strategy_client)
    store = strategy_client.app[SERVICES].strategies.store
    head = await store.head()
    for method, path, body in WRITES:
        response = await strategy_client.request(method, path, json=body, headers=alice.auth)
        assert response.status == 403, path
        assert (await response.json())["code"] == "ADMIN_REQUIRED"
    for path in READS:
        assert (await strategy_client.get(path, headers=alice.auth)).status == 403, path
    assert await store.head() == head  # nothing was written


async def test_admin_publishes_lists_diffs_and_sets_defaults_and_bad_code_is_refused(
    strategy_client: AppClient,
) -> None:
    root = await admin_of(strategy_client)
    source = scalp_source("MyStrategy", doc="Scalps dips.")
    upload = {
        "fileName": "balancedStrat.py",
        "source": source,
        "message": "Add MyStrategy",
        "metadata": {"riskLevel": "high", "features": ["RSI"], "recommendedFor": "demos"},
    }
    response = await strategy_client.post("/api/admin/strategies", json=upload, headers=root.auth)
    assert response.status == 201, await response.text()
    body = await response.json()
    [published] = body["strategies"]
    assert published["className"] == "MyStrategy" and published["version"] == 1
    assert published["changelog"][0]["author"] == "root"
    assert published["changelog"][0]["commit"] == body["commit"]
    assert body["reports"][0]["passed"] is True

    broken = {**upload, "source": source.replace("def populate_indicators(", "def (")}
    response = await strategy_client.post("/api/admin/strategies", json=broken, headers=root.auth)
    assert response.status == 422
    refused = await response.json()
    assert refused["code"] == "STRATEGY_INVALID" and refused["success"] is False
    assert refused["report"]["errors"][0]["kind"] == "syntax"
    assert isinstance(refused["report"]["errors"][0]["line"], int)

    edit = {**upload, "source": source.replace('"0": 0.01', '"0": 0.02'), "message": "ROI 2 %"}
    response = await strategy_client.post("/api/admin/strategies", json=edit, headers=root.auth)
    assert response.status == 201
    response = await strategy_client.get(
        "/api/admin/strategies/MyStrategy/versions", headers=root.auth
    )
    versions = await response.json()
    assert [v["version"] for v in versions["versions"]] == [1, 2]
    assert versions["defaultVersion"] == 2  # no pin: the latest
    response = await strategy_client.get(
        "/api/admin/strategies/MyStrategy/diff?old=1&new=2", headers=root.auth
    )
    assert '+    minimal_roi = {"0": 0.02' in (await response.json())["diff"]
    response = await strategy_client.get(
        "/api/admin/strategies/MyStrategy/versions/1", headers=root.auth
    )
    shown = await response.json()
    assert shown["source"] == source and shown["report"]["passed"] is True

    response = await strategy_client.post(
        "/api/admin/strategies/MyStrategy/deploy",
        json={"version": 1, "default": True},
        headers=root.auth,
    )
    assert response.status == 200, await response.text()
    deployed = await response.json()
    assert deployed["defaultSet"] is True and deployed["bots"] == [] and deployed["version"] == 1
    response = await strategy_client.get("/api/admin/strategies", headers=root.auth)
    mine = [s for s in (await response.json())["strategies"] if s["className"] == "MyStrategy"]
    assert mine[0]["defaultVersion"] == 1 and mine[0]["version"] == 2
    response = await strategy_client.post(
        "/api/admin/strategies/MyStrategy/deploy", json={}, headers=root.auth
    )
    assert response.status == 400


async def test_the_socket_lists_on_connect_and_tells_of_changes_from_any_process(
    strategy_client: AppClient, firebase_emulator: FirebaseEmulator, sandbox_url: str
) -> None:
    alice = await register_and_login(strategy_client)
    id_token = await asyncio.to_thread(firebase_emulator.mint_id_token, "g@example.com", "G")
    assert (await strategy_client.get("/ws/strategies")).status == 401
    jwt_socket = await strategy_client.ws_connect(f"/ws/strategies?token={alice.token}")
    google_socket = await strategy_client.ws_connect(f"/ws/strategies?token={id_token}")
    for socket in (jwt_socket, google_socket):
        first = await received(socket)
        assert first["type"] == "strategies:list"
        assert [s["name"] for s in first["strategies"]] == SHIPPED
        for item in first["strategies"]:
            check_item(item)
    await jwt_socket.send_json({"type": "ping"})
    assert await received(jwt_socket) == {"type": "pong"}

    # The CLI, in its own process, on the gateway's database and repository.
    settings = strategy_client.app[SETTINGS]
    await create_user(settings, "root@example.com", PASSWORD, "root", admin=True)
    folder = Path(settings.strategy_repo).parent / "upload"
    folder.mkdir()
    (folder / "cli_strategy.py").write_text(scalp_source("CliStrategy"))
    env = {
        **os.environ,
        "CRYPTOPILOT_DATABASE_URL": settings.database_url,
        "CRYPTOPILOT_STRATEGY_REPO": settings.strategy_repo,
        "CRYPTOPILOT_MARKET_URL": sandbox_url,
        "CRYPTOPILOT_ENV": "test",
    }
    command = [sys.executable, "-m", "cli.main", "strategies", "upload"]
    arguments = [
        str(folder / "cli_strategy.py"),
        "-m",
        "From the CLI",
        "--admin",
        "root@example.com",
    ]
    done = await asyncio.to_thread(
        subprocess.run,
        [*command, *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "published CliStrategy v1" in done.stdout
    for socket in (jwt_socket, google_socket):
        changed = await received(socket)
        assert changed["type"] == "strategies:changed"
        assert changed["event"]["type"] == "added" and changed["event"]["strategy"] == "CliStrategy"
        names = [s["name"] for s in changed["availableStrategies"]]
        assert names == ["CliStrategy", *SHIPPED]
        assert changed["event"]["availableStrategies"] == changed["availableStrategies"]
    # Provisioning now accepts it (the catalogue followed the store).
    library = strategy_client.app[SERVICES].strategies.catalogue.library()
    assert "CliStrategy" in library.names
    await jwt_socket.close()
    await google_socket.close()
