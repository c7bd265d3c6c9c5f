"""runtime/apitick.py on a real uvicorn server in a thread, as FreqTrade runs its API."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import uvicorn

from runtime import apitick
from tests.helpers import free_port, wait_until


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"pong"})


class CountingServer(uvicorn.Server):
    ticks = 0

    async def on_tick(self, counter: int) -> bool:
        self.ticks += 1
        return await super().on_tick(counter)


@pytest.fixture
def patched() -> Iterator[None]:
    original = uvicorn.Server.main_loop
    apitick.install()
    yield
    uvicorn.Server.main_loop = original  # type: ignore[method-assign]


def _serve(server: uvicorn.Server) -> threading.Thread:
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout=10, what="uvicorn started")
    return thread


@pytest.mark.usefixtures("patched")
def test_the_server_ticks_twice_a_second_serves_a_date_and_still_stops_promptly() -> None:
    port = free_port()
    config = uvicorn.Config(_app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    server = CountingServer(config)
    thread = _serve(server)
    before = server.ticks
    time.sleep(2.0)
    ticks = server.ticks - before
    # uvicorn's own loop ticks every 0.1 s (about 20 here); patched, every TICK_SECONDS.
    assert 2 <= ticks <= 2.0 / apitick.TICK_SECONDS + 1, ticks
    answer = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
    assert answer.text == "pong"
    served = time.strptime(answer.headers["date"], "%a, %d %b %Y %H:%M:%S GMT")
    assert abs(time.mktime(served) - time.mktime(time.gmtime())) <= 2
    asked = time.monotonic()
    server.should_exit = True
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert time.monotonic() - asked < apitick.TICK_SECONDS + 1.0
