"""The pool's product-event sink: the bot's owner as distinct id, the pool id added."""

from __future__ import annotations

import threading
from typing import Any

from posthog.consumer import Consumer

from runtime.analytics import PoolAnalytics
from runtime.events import NoEvents
from runtime.rpc.app import create_app
from runtime.rpc.keys import ANALYTICS, POOL
from tests.fixtures.posthog import API_KEY, CaptureServer
from tests.runtime.fakes import FakeLauncher


def _consumers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if isinstance(t, Consumer)}


def test_the_sink_delivers_bot_crashed_to_the_owner(
    make_settings: Any, capture_server: CaptureServer
) -> None:
    sink = PoolAnalytics.from_settings(
        make_settings(posthog_key=API_KEY, posthog_host=capture_server.url)
    )
    sink.emit("bot_crashed", "user-7", {"bot_id": "b1", "exit": "signal 9", "restarts": 2})
    sink.emit("bot_stalled", "user-7", {"bot_id": "b1", "api_password": "secret"})
    sink.close()
    crashed, stalled = capture_server.events()
    assert (crashed["event"], crashed["distinct_id"]) == ("bot_crashed", "user-7")
    assert crashed["properties"]["pool_id"] == "test"
    assert crashed["properties"]["exit"] == "signal 9"
    assert crashed["properties"]["restarts"] == 2
    assert stalled["event"] == "bot_stalled" and "api_password" not in stalled["properties"]


async def test_the_pool_app_is_off_without_a_key(aiohttp_client: Any, make_settings: Any) -> None:
    before = _consumers()
    app = create_app(make_settings(), FakeLauncher())
    client = await aiohttp_client(app)
    assert not app[ANALYTICS].analytics.enabled and app[POOL].events is app[ANALYTICS]
    assert not isinstance(app[POOL].events, NoEvents)
    assert _consumers() <= before  # no posthog thread started (others' may still be ending)
    await client.close()
