"""Tiny helpers to talk to a bot's own FreqTrade REST API (basic auth) in tests."""

from __future__ import annotations

from typing import Any

import aiohttp


async def bot_get(bot: dict[str, Any], path: str) -> Any:
    api = bot["api"]
    auth = {"Authorization": aiohttp.encode_basic_auth(api["username"], api["password"])}
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


async def trade_ids(bot: dict[str, Any]) -> set[int]:
    """Ids of the bot's open (`/status`) and closed (`/trades`) trades."""
    open_trades = await bot_get(bot, "status")
    closed = (await bot_get(bot, "trades?limit=500"))["trades"]
    return {int(t["trade_id"]) for t in [*open_trades, *closed]}


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
