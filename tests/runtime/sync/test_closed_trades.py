"""Each closed trade is reported once, to its bot's owner, by the pool's trade sync."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runtime.rpc.app import create_app
from runtime.rpc.keys import ANALYTICS, POOL
from runtime.sync.reader import Batch, Cursor, closed_trades
from tests.fixtures.posthog import API_KEY, CaptureServer
from tests.runtime.conftest import AUTH, bot_body
from tests.runtime.fakes import FakeLauncher
from tests.runtime.sync.ftdb import close_trade

ClientFactory = Callable[..., Awaitable[Any]]


def _trade(trade_id: int, is_open: bool) -> dict[str, Any]:
    return {"id": trade_id, "is_open": is_open}


def test_a_close_is_new_once_and_history_is_not_reported() -> None:
    batch = Batch(trades=[_trade(1, False), _trade(2, False), _trade(3, False), _trade(4, True)])
    # The bot's first read: everything is history.
    assert closed_trades(batch, Cursor()) == []
    # 1 was open at the last pass, 2 was already stored closed (a re-read), 3 is new and
    # closed already (opened and closed between two passes), 4 is still open.
    cursor = Cursor(open_trade_ids=frozenset({1, 4}), trade_ids=frozenset({1, 2, 4}), full=False)
    assert [t["id"] for t in closed_trades(batch, cursor)] == [1, 3]


async def test_the_pool_reports_each_closed_trade_once_to_its_owner(
    aiohttp_client: ClientFactory,
    make_settings: Any,
    target_url: str,
    bot_db: Path,
    capture_server: CaptureServer,
) -> None:
    settings = make_settings(
        sync_database_url=target_url, posthog_key=API_KEY, posthog_host=capture_server.url
    )
    app = create_app(settings, FakeLauncher())
    client = await aiohttp_client(app, headers=AUTH)
    assert app[POOL].events is app[ANALYTICS] and app[ANALYTICS].analytics.enabled
    assert (await client.post("/bots", json=bot_body("b1", owner="user-42"))).status == 201
    path = settings.data_dir / "bots" / "b1" / "tradesv3.dryrun.sqlite"
    with sqlite3.connect(bot_db) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    source.close()
    copy.close()

    assert (await client.post("/sync")).status == 200  # first pass: two open trades
    close_trade(path, 1, 0.25, datetime.now(UTC))
    assert (await client.post("/sync")).status == 200  # sees trade 1 close
    assert (await client.post("/sync")).status == 200  # nothing new
    await client.close()  # the app's clean-up flushes the analytics

    [event] = capture_server.events("trade_closed")
    assert event["distinct_id"] == "user-42"
    props = event["properties"]
    assert (props["bot_id"], props["trade_id"], props["profit_abs"]) == ("b1", 1, 0.25)
    assert (props["pool_id"], props["service"], props["exit_reason"]) == ("test", "pool", "roi")
    assert props["pair"] and props["duration_seconds"] >= 0
