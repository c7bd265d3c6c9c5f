"""B1 (the bot list) for bots whose settings the provisioning form cannot produce."""

from __future__ import annotations

from gateway.keys import SERVICES
from tests.gateway.conftest import ClientFactory, register_and_login
from tests.gateway.services.dashboard.test_portfolio import add_bot


async def test_a_bot_with_an_unlimited_stake_is_listed(make_client: ClientFactory) -> None:
    # Found by tests/gateway/test_fuzz_openapi.py: an adopted bot's `"unlimited"` stake made
    # B1 a 500 (float("unlimited")) for its owner.
    client = await make_client()
    alice = await register_and_login(client)
    await add_bot(client.app[SERVICES], alice.user_id, "alice-bot-1", None)  # stake "unlimited"
    response = await client.get("/api/freqtrade/bots", headers=alice.auth)
    assert response.status == 200, await response.text()
    [bot] = (await response.json())["bots"]
    assert bot["instanceId"] == "alice-bot-1" and bot["stake_amount"] == "unlimited"
    assert bot["restarts"] == 0  # no pool has reported a count yet
    document = await (await client.get("/api/openapi.json")).json()
    stake = document["components"]["schemas"]["BotInfo"]["properties"]["stake_amount"]
    assert {"type": "number"} in stake["anyOf"] and {"enum": ["unlimited"]} in stake["anyOf"]


async def test_b1_tells_how_often_the_pool_restarted_a_bot(make_client: ClientFactory) -> None:
    client = await make_client()
    alice = await register_and_login(client)
    services = client.app[SERVICES]
    await add_bot(services, alice.user_id, "alice-bot-1", None)
    view = {"bot_id": "alice-bot-1", "state": "running", "restarts": 3, "stall_restarts": 1}
    await services.bot_store.record_seen("alice-bot-1", view)
    response = await client.get("/api/freqtrade/bots", headers=alice.auth)
    assert response.status == 200, await response.text()
    [bot] = (await response.json())["bots"]
    assert (bot["instanceId"], bot["restarts"]) == ("alice-bot-1", 3)
    document = await (await client.get("/api/openapi.json")).json()
    info = document["components"]["schemas"]["BotInfo"]
    assert info["properties"]["restarts"] == {"type": "integer"} and "restarts" in info["required"]
