"""S1-S4 and /ws/strategies: the frontend's strategy selector (contract §3.7, §4.2)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from aiohttp import WSMsgType, web

from gateway.handlers.common import principal, read_body, reply, services
from gateway.models.strategies import (
    BotStrategyResponse,
    EnhancedItem,
    EnhancedResponse,
    StrategiesResponse,
    StrategySocketMessages,
    SwitchRequest,
    SwitchResponse,
)
from gateway.routing import Access, Route
from gateway.services.strategies.watch import Message

logger = logging.getLogger(__name__)


async def list_strategies(request: web.Request) -> web.Response:
    items = await services(request).strategies.listing()
    payload: StrategiesResponse = {"success": True, "strategies": items}
    return reply(payload)


async def enhanced(request: web.Request) -> web.Response:
    catalogue = await services(request).strategies.store.catalogue()
    items: list[EnhancedItem] = [
        {
            "name": meta.className,
            "displayName": meta.displayName,
            "description": meta.description,
            "features": meta.features,
            "riskLevel": meta.riskLevel,
            "recommendedFor": meta.recommendedFor,
            "defaultRiskTemplate": meta.defaultRiskTemplate,
            "timeframes": meta.timeframes,
            "version": meta.version,
        }
        for meta in catalogue
    ]
    payload: EnhancedResponse = {"success": True, "strategies": items}
    return reply(payload)


async def bot_strategy(request: web.Request) -> web.Response:
    found = await services(request).strategies.bot_strategy(
        principal(request).user_id, request.match_info["instanceId"]
    )
    payload: BotStrategyResponse = {"success": True, "strategy": found}
    return reply(payload)


async def switch_strategy(request: web.Request) -> web.Response:
    body = await read_body(request, SwitchRequest)
    done = await services(request).strategies.switch(
        principal(request).user_id, request.match_info["instanceId"], body["strategy"]
    )
    payload: SwitchResponse = {
        "success": True,
        "message": done.message,
        "strategy": {
            "previous": done.previous.strategy,
            "current": done.running.strategy,
            "restarted": done.applied is not None,
            "version": done.running.version,
            "applied": done.applied,
            "rolledBack": done.rolled_back,
        },
    }
    return reply(payload)


async def strategy_socket(request: web.Request) -> web.WebSocketResponse:
    """Send the list on connect, then every change; answer `ping` with `pong`."""
    watch = services(request).strategies.watch
    socket = web.WebSocketResponse(heartbeat=30.0)
    await socket.prepare(request)
    queue, first = await watch.subscribe()
    try:
        await socket.send_json(first)
        reader = asyncio.create_task(_read(socket))
        try:
            while not socket.closed:
                getter = asyncio.create_task(queue.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    break
                message: Message | None = getter.result()
                if message is None:
                    break
                await socket.send_json(message)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
    except ConnectionResetError:
        logger.debug("strategy socket closed by the client")
    finally:
        watch.unsubscribe(queue)
        await socket.close()
    return socket


async def _read(socket: web.WebSocketResponse) -> None:
    async for frame in socket:
        if frame.type != WSMsgType.TEXT:
            continue
        with contextlib.suppress(ValueError):
            if json.loads(frame.data).get("type") == "ping":
                await socket.send_json({"type": "pong"})


_BOT = "/api/freqtrade/bots/{instanceId}/strategy"
SOCKET_PATH = "/ws/strategies"
ROUTES = [
    Route("GET", "/api/freqtrade/strategies", list_strategies, Access.USER,
          "S1: the published strategies", response=StrategiesResponse, tag="strategies"),
    Route("GET", "/api/freqtrade/strategies/enhanced", enhanced, Access.USER,
          "S2: the published strategies with what the selector shows",
          response=EnhancedResponse, tag="strategies"),
    Route("GET", _BOT, bot_strategy, Access.USER, "S3: the strategy a bot runs",
          response=BotStrategyResponse, tag="strategies"),
    Route("PUT", _BOT, switch_strategy, Access.USER,
          "S4: run a published strategy's current version on one of your bots",
          request=SwitchRequest, response=SwitchResponse, tag="strategies"),
    Route("GET", SOCKET_PATH, strategy_socket, Access.USER,
          "WebSocket: `strategies:list` on connect, `strategies:changed` on every change",
          response=StrategySocketMessages, rate_group=None, query_token=True, tag="strategies"),
]  # fmt: skip
