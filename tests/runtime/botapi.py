"""Tiny helpers to talk to a bot's own FreqTrade REST API (basic auth) in tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from runtime.botroute import POOL_TOKEN_HEADER


async def bot_get(bot: dict[str, Any], path: str, pool_token: str = "") -> Any:
    """GET from the bot's API at the URL its pool reported (through the pool's port, with
    `pool_token` as `X-Pool-Token`, when the pool serves its bots' APIs itself)."""
    api = bot["api"]
    auth = {"Authorization": aiohttp.encode_basic_auth(api["username"], api["password"])}
    if pool_token:
        auth[POOL_TOKEN_HEADER] = pool_token
    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(headers=auth, timeout=timeout) as session:
        async with session.get(f"{api['url']}/api/v1/{path}") as response:
            response.raise_for_status()
            return await response.json()


async def bot_post(bot: dict[str, Any], path: str, body: dict[str, Any]) -> Any:
    api = bot["api"]
    auth = {"Authorization": aiohttp.encode_basic_auth(api["username"], api["password"])}
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(headers=auth, timeout=timeout) as session:
        async with session.post(f"{api['url']}/api/v1/{path}", json=body) as response:
            response.raise_for_status()
            return await response.json()


@dataclass(frozen=True)
class SeenTrade:
    """One trade as the bot reported it: what must never change once seen."""

    trade_id: int
    pair: str
    open_date: str
    is_open: bool


async def seen_trades(bot: dict[str, Any]) -> dict[int, SeenTrade]:
    """Every trade the bot's API reports, open (`/status`) and closed (`/trades`), by id."""
    open_trades = await bot_get(bot, "status")
    closed = (await bot_get(bot, "trades?limit=500"))["trades"]
    seen: dict[int, SeenTrade] = {}
    for raw in [*closed, *open_trades]:
        trade = SeenTrade(int(raw["trade_id"]), raw["pair"], raw["open_date"], bool(raw["is_open"]))
        seen[trade.trade_id] = trade
    return seen


async def trade_ids(bot: dict[str, Any]) -> set[int]:
    """Ids of the bot's open (`/status`) and closed (`/trades`) trades."""
    return set(await seen_trades(bot))


async def ensure_trade(bot: dict[str, Any]) -> set[int]:
    """Trade ids once the bot has at least one trade, forcing an entry if it has none yet.

    The fast strategy often enters on its own within seconds, so a forced entry on a pair
    that already holds a position is refused by FreqTrade; only the outcome matters here.
    """
    trades = await trade_ids(bot)
    if not trades:
        for pair in ("BTC/USDT", "ETH/USDT"):
            try:
                await bot_post(bot, "forceenter", {"pair": pair})
                break
            except aiohttp.ClientResponseError:
                continue
        trades = await trade_ids(bot)
    return trades
