"""B1-B5: list, provision, start, stop and delete a user's paper bots."""

from __future__ import annotations

from aiohttp import web

from gateway.errors import BadInput
from gateway.handlers.common import principal, read_body, reply, services
from gateway.models.bots import (
    BotInfo,
    BotLogsResponse,
    BotsResponse,
    ContainerStatus,
    DeleteResponse,
    ProvisionRequest,
    ProvisionResponse,
)
from gateway.models.common import MessageBody
from gateway.routing import Access, QueryParam, Route
from gateway.services.common import iso
from gateway.services.money.money import from_cents, parse_amount
from gateway.services.trading.bots import NewBot
from gateway.services.trading.botstore import BotRecord
from observability.logtail import LEVELS, MAX_LINES, parse_level, parse_lines

CONTAINER_STATUS: dict[str, ContainerStatus] = {
    "running": "running",
    "stopped": "stopped",
    "exited": "stopped",
    "stopping": "stopped",
    "fatal": "error",
    "backoff": "error",
}


def container_name(pool_id: str | None) -> str:
    return f"cryptopilot-pool-{pool_id}" if pool_id else ""


def bot_info(record: BotRecord) -> BotInfo:
    return {
        "instanceId": record.id,
        "userId": record.user_id,
        "strategy": record.strategy,
        "port": record.api_port,
        "exchange": record.exchange,
        "stake_currency": record.stake_currency,
        "stake_amount": record.stake_amount_value,
        "max_open_trades": record.max_open_trades,
        "timeframe": record.timeframe,
        "tradingPairs": record.pairs,
        "dry_run": record.dry_run,
        "containerStatus": CONTAINER_STATUS.get(record.observed_state, "unknown"),
        "state": record.observed_state,
        "isPooled": True,
        "poolId": record.pool_id,
        "containerName": container_name(record.pool_id),
        "createdAt": iso(record.created_at),
        "strategyVersion": record.strategy_version,
        "strategyCommit": record.strategy_commit,
        "restarts": record.restarts,
    }


async def list_bots(request: web.Request) -> web.Response:
    records = await services(request).bots.listing(principal(request).user_id)
    payload: BotsResponse = {"success": True, "bots": [bot_info(r) for r in records]}
    return reply(payload)


async def provision(request: web.Request) -> web.Response:
    body = await read_body(request, ProvisionRequest)
    if not body["dry_run"]:
        raise BadInput("Only paper trading (dry_run) bots can be provisioned", "LIVE_DISABLED")
    if "initialBalance" not in body or body["initialBalance"] <= 0:
        raise BadInput(
            "initialBalance is required and must be greater than 0", "INVALID_INITIAL_BALANCE"
        )
    if not 1 <= body["max_open_trades"] <= 100:
        raise BadInput("max_open_trades must be between 1 and 100", "INVALID_MAX_OPEN_TRADES")
    if not 1 <= len(body["tradingPairs"]) <= 20:
        raise BadInput("tradingPairs must list 1 to 20 pairs", "INVALID_PAIRS")
    parse_amount(body["stake_amount"], "stake_amount")
    new = NewBot(
        id=body["instanceId"],
        strategy=body["strategy"],
        exchange=body["exchange"],
        stake_currency=body["stake_currency"],
        stake_amount=repr(float(body["stake_amount"])),
        max_open_trades=body["max_open_trades"],
        timeframe=body["timeframe"],
        pairs=[p.upper() for p in body["tradingPairs"]],
        initial_cents=parse_amount(body["initialBalance"], "initialBalance"),
    )
    done = await services(request).bots.provision(principal(request).user_id, new)
    payload: ProvisionResponse = {
        "success": True,
        "message": "Bot provisioned in container pool",
        "instanceId": done.bot.id,
        "port": done.bot.api_port,
        "containerName": container_name(done.bot.pool_id),
        "strategy": done.bot.strategy,
        "isPooled": True,
        "poolId": done.bot.pool_id or "",
        "wallet": {
            "previousBalance": from_cents(done.previous_balance_cents),
            "newBalance": from_cents(done.new_balance_cents),
            "allocated": from_cents(done.allocated_cents),
        },
    }
    return reply(payload, status=201)


async def start_bot(request: web.Request) -> web.Response:
    bot_id = request.match_info["instanceId"]
    await services(request).bots.start(principal(request).user_id, bot_id)
    payload: MessageBody = {"success": True, "message": f"Bot {bot_id} started successfully"}
    return reply(payload)


async def stop_bot(request: web.Request) -> web.Response:
    bot_id = request.match_info["instanceId"]
    await services(request).bots.stop(principal(request).user_id, bot_id)
    payload: MessageBody = {"success": True, "message": f"Bot {bot_id} stopped successfully"}
    return reply(payload)


async def delete_bot(request: web.Request) -> web.Response:
    bot_id = request.match_info["instanceId"]
    done = await services(request).bots.delete(principal(request).user_id, bot_id)
    payload: DeleteResponse = {
        "success": True,
        "message": f"Bot {bot_id} deleted successfully",
        "cashedOut": {"amount": from_cents(done.cashed_out_cents), "currency": "USD"},
        "wallet": {
            "previousBalance": from_cents(done.previous_balance_cents),
            "newBalance": from_cents(done.new_balance_cents),
            "returned": from_cents(done.cashed_out_cents),
            "pnl": from_cents(done.pnl_cents),
        },
    }
    if done.warnings:
        payload["warnings"] = done.warnings
    return reply(payload)


async def bot_logs(request: web.Request) -> web.Response:
    bot_id = request.match_info["instanceId"]
    try:
        lines = parse_lines(request.query.get("lines"))
    except ValueError as exc:
        raise BadInput(str(exc), "INVALID_LINES") from None
    try:
        level = parse_level(request.query.get("level"))
    except ValueError as exc:
        raise BadInput(str(exc), "INVALID_LEVEL") from None
    logs = await services(request).bot_logs.read(
        principal(request).user_id, bot_id, lines=lines, level=level
    )
    payload: BotLogsResponse = {
        "success": True,
        "instanceId": bot_id,
        "logs": logs,
        "lines": lines,
        "level": level,
    }
    return reply(payload)


_LOG_QUERY = (
    QueryParam(
        "lines",
        {"type": "integer", "minimum": 1, "maximum": MAX_LINES, "default": 200},
        "How many records (a traceback is one), newest last",
    ),
    QueryParam(
        "level",
        {"type": "string", "enum": list(LEVELS), "default": "DEBUG"},
        "Lowest level returned (any case)",
    ),
)
_BOT = "/api/freqtrade/bots/{instanceId}"
ROUTES = [
    Route(
        "GET",
        "/api/freqtrade/bots",
        list_bots,
        Access.USER,
        "B1: the user's bots",
        response=BotsResponse,
        tag="bots",
    ),
    Route(
        "POST",
        "/api/freqtrade/provision",
        provision,
        Access.USER,
        "B2: provision a paper bot (wallet money reserved, placed in a pool)",
        request=ProvisionRequest,
        response=ProvisionResponse,
        status=201,
        tag="bots",
    ),
    Route(
        "POST",
        _BOT + "/start",
        start_bot,
        Access.USER,
        "B3: start a bot",
        response=MessageBody,
        tag="bots",
    ),
    Route(
        "POST",
        _BOT + "/stop",
        stop_bot,
        Access.USER,
        "B4: stop a bot",
        response=MessageBody,
        tag="bots",
    ),
    Route(
        "GET",
        _BOT + "/logs",
        bot_logs,
        Access.USER,
        "B8: the last records of the bot's own FreqTrade log (owner only; 404 to others)",
        response=BotLogsResponse,
        tag="bots",
        query=_LOG_QUERY,
    ),
    Route(
        "DELETE",
        _BOT,
        delete_bot,
        Access.USER,
        "B5: delete a bot: close its trades and return its value to the wallet",
        response=DeleteResponse,
        tag="bots",
    ),
]
