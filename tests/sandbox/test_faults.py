"""The sandbox's fault modes over HTTP: error, timeout, garbage, off, time limits, bad input."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from sandbox.faults import DISCONNECTED, FAULTS, FaultMode, Faults
from sandbox.server import create_app
from sandbox.settings import SandboxSettings

Client = TestClient[Any, Any]


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def client(aiohttp_client: Any, clock: FakeClock) -> Client:
    app = create_app(SandboxSettings(seed=3))
    app[FAULTS].clock = clock
    result: Client = await aiohttp_client(app)
    return result


async def set_mode(client: Client, body: object, status: int = 200) -> Any:
    response = await client.post("/sandbox/faults", json=body)
    assert response.status == status, await response.text()
    return await response.json()


async def test_off_by_default_and_exchange_answers(client: Client) -> None:
    assert await (await client.get("/sandbox/faults")).json() == {
        "mode": "off",
        "seconds_left": None,
    }
    response = await client.get("/api/v3/ping")
    assert response.status == 200 and await response.json() == {}


async def test_error_mode_answers_binance_503_until_its_time_is_up(
    client: Client, clock: FakeClock
) -> None:
    state = await set_mode(client, {"mode": "error", "seconds": 60})
    assert state == {"mode": "error", "seconds_left": 60.0}
    response = await client.get("/api/v3/time")
    assert response.status == 503 and await response.json() == DISCONNECTED
    # The admin route is never affected.
    assert (await client.get("/sandbox/faults")).status == 200
    clock.now += 60
    assert (await (await client.get("/sandbox/faults")).json())["mode"] == "off"
    assert (await client.get("/api/v3/time")).status == 200


async def test_garbage_mode_answers_200_with_a_body_that_is_not_json(client: Client) -> None:
    await set_mode(client, {"mode": "garbage", "seconds": 5})
    response = await client.get("/api/v3/exchangeInfo")
    assert response.status == 200 and response.content_type == "application/json"
    with pytest.raises(ValueError):
        json.loads(await response.read())


async def test_timeout_mode_holds_requests_and_off_releases_the_next(client: Client) -> None:
    await set_mode(client, {"mode": "timeout", "seconds": 30})
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(client.get("/api/v3/ping"), timeout=0.5)
    state = await set_mode(client, {"mode": "off"})
    assert state == {"mode": "off", "seconds_left": None}
    response = await asyncio.wait_for(client.get("/api/v3/ping"), timeout=5)
    assert response.status == 200


async def test_a_mode_without_seconds_lasts_until_switched_off(
    client: Client, clock: FakeClock
) -> None:
    await set_mode(client, {"mode": "error"})
    clock.now += 10_000
    assert (await client.get("/api/v3/ping")).status == 503
    await set_mode(client, {"mode": "off"})
    assert (await client.get("/api/v3/ping")).status == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"mode": "explode"}, "'mode' must be one of off, error, timeout, garbage."),
        ({}, "'mode' must be one of off, error, timeout, garbage."),
        (["error"], "The body must be a JSON object with 'mode'."),
        ({"mode": "error", "seconds": "60"}, "'seconds' must be a number."),
        ({"mode": "error", "seconds": True}, "'seconds' must be a number."),
        ({"mode": "error", "seconds": 0}, "'seconds' must be more than 0 and at most 3600."),
        ({"mode": "error", "seconds": 7200}, "'seconds' must be more than 0 and at most 3600."),
    ],
)
async def test_bad_fault_requests_are_400_with_binance_error_body(
    client: Client, body: object, message: str
) -> None:
    assert await set_mode(client, body, status=400) == {"code": -1100, "msg": message}
    assert (await client.get("/api/v3/ping")).status == 200  # nothing was switched on


async def test_a_body_that_is_not_json_is_400(client: Client) -> None:
    response = await client.post("/sandbox/faults", data=b"not json")
    assert response.status == 400
    assert await response.json() == {"code": -1100, "msg": "The body must be JSON."}


def test_faults_state_machine_expires() -> None:
    clock = FakeClock()
    faults = Faults(clock)
    faults.set(FaultMode.GARBAGE, 2.5)
    assert faults.describe() == {"mode": "garbage", "seconds_left": 2.5}
    clock.now += 2.5
    assert faults.active() is FaultMode.OFF and faults.until is None
