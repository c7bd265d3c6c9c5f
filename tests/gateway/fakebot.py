"""A small stand-in for one bot's FreqTrade REST API, served over real HTTP.

It speaks the parts the gateway uses (token login, /status, /balance, /trades, /profit and an
echo route) with FreqTrade's field names. Like a pool's bot, it takes the login `bot-<id>` with
the password derived from the pool token; the tests' gateways have no pool token unless a test
gives one, so that is the empty token here. A configurable delay makes it a slow or dead bot for
the timeout paths; it counts calls and the most calls it had in flight at once.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from gateway.settings import Settings
from runtime.credentials import bot_api_password


@pytest.fixture(name="make_settings")
def per_bot_source(make_settings: Callable[..., Settings]) -> Callable[..., Settings]:
    """The gateway's settings reading portfolios from each bot's API (`portfolio_source =
    "bots"`): a fake bot has no pool to publish its summary to. Import it into a test module
    to override `make_settings` there."""

    def make(**overrides: Any) -> Settings:
        return make_settings(**{"portfolio_source": "bots", **overrides})

    return make


GATEWAY_POOL_TOKEN = ""
TOKEN = "fake-access-token"  # noqa: S105 - test double


def username(bot_id: str) -> str:
    """The API user a pool gives the bot (runtime/store.py ApiCredentials)."""
    return f"bot-{bot_id}"


def open_trade(
    trade_id: int, pair: str, *, stake: float = 100.0, short: bool = False
) -> dict[str, Any]:
    """An /api/v1/status entry as FreqTrade writes it (subset)."""
    return {
        "trade_id": trade_id,
        "pair": pair,
        "is_open": True,
        "is_short": short,
        "amount": 0.002,
        "stake_amount": stake,
        "open_rate": 50000.0,
        "current_rate": 50500.0,
        "profit_abs": 1.0,
        "profit_ratio": 0.01,
        "profit_pct": 1.0,
        "total_profit_abs": 1.0,
        "open_date": "2025-01-01 00:00:00",
        "open_timestamp": 1735689600000 + trade_id,
        "close_date": None,
        "exit_reason": None,
        "stop_loss_abs": 45000.0,
    }


def closed_trade(trade_id: int, pair: str) -> dict[str, Any]:
    """An /api/v1/trades entry (closed)."""
    trade = open_trade(trade_id, pair)
    trade.update(
        is_open=False,
        close_rate=51000.0,
        profit_abs=2.0,
        profit_pct=2.0,
        profit_ratio=0.02,
        close_date="2025-01-02 00:00:00",
        exit_reason="roi",
    )
    del trade["current_rate"], trade["total_profit_abs"]
    return trade


@dataclass
class FakeBot:
    """State and behaviour of one fake bot."""

    total: float = 1000.0
    status: list[dict[str, Any]] = field(default_factory=list)
    closed: list[dict[str, Any]] = field(default_factory=list)
    delay: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/v1/token/login", self._login)
        app.router.add_get("/api/v1/status", self._status)
        app.router.add_get("/api/v1/balance", self._balance)
        app.router.add_get("/api/v1/trades", self._trades)
        app.router.add_get("/api/v1/profit", self._profit)
        app.router.add_route("*", "/api/v1/echo", self._echo)
        return app

    async def _login(self, request: web.Request) -> web.Response:
        if not _derived_login(request.headers.get("Authorization", "")):
            return web.json_response({"detail": "Unauthorized"}, status=401)
        return web.json_response({"access_token": TOKEN, "refresh_token": "r"})

    async def _serve(self, request: web.Request, name: str, payload: Any) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"detail": "Unauthorized"}, status=401)
        self.calls[name] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        return web.json_response(payload)

    async def _status(self, request: web.Request) -> web.Response:
        return await self._serve(request, "status", self.status)

    async def _balance(self, request: web.Request) -> web.Response:
        payload = {
            "currencies": [],
            "total": self.total,
            "symbol": "USDT",
            "stake": "USDT",
            "starting_capital": 990.0,
        }
        return await self._serve(request, "balance", payload)

    async def _trades(self, request: web.Request) -> web.Response:
        payload = {"trades": self.closed, "trades_count": len(self.closed), "offset": 0,
                   "total_trades": len(self.closed)}  # fmt: skip
        return await self._serve(request, "trades", payload)

    async def _profit(self, request: web.Request) -> web.Response:
        payload = {"winning_trades": 3, "losing_trades": 1, "first_trade_timestamp": 1735689600000}
        return await self._serve(request, "profit", payload)

    async def _echo(self, request: web.Request) -> web.Response:
        """Answers what it got, with a 418 status and a text body, to prove passthrough."""
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"detail": "Unauthorized"}, status=401)
        body = (await request.read()).decode()
        echoed = {"method": request.method, "query": dict(request.query), "body": body}
        return web.Response(status=418, text=json.dumps(echoed), content_type="text/plain")


def _derived_login(header: str) -> bool:
    try:
        auth = aiohttp.BasicAuth.decode(header)
    except ValueError:
        return False
    bot_id = str(auth.login).removeprefix("bot-")
    expected = (username(bot_id), bot_api_password(GATEWAY_POOL_TOKEN, bot_id))
    return (auth.login, auth.password) == expected
