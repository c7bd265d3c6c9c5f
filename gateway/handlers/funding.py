"""W5-W7: money into and out of a running bot, and wallet sync with the bots that exist."""

from __future__ import annotations

from aiohttp import web

from gateway.errors import NotFound
from gateway.handlers.common import principal, read_body, reply, services
from gateway.handlers.wallet import allocation_wire, transaction_wire
from gateway.models.wallet import (
    AddToBotRequest,
    AddToBotResponse,
    ReturnFromBotRequest,
    ReturnFromBotResponse,
    SyncWalletResponse,
)
from gateway.routing import Access, Route
from gateway.services.money.money import dollars, from_cents, parse_amount


async def add_to_bot(request: web.Request) -> web.Response:
    body = await read_body(request, AddToBotRequest)
    user_id, bot_id = principal(request).user_id, body["botId"]
    cents = parse_amount(body["amount"], "amount")
    move = await services(request).funding.add_to_bot(user_id, bot_id, cents)
    allocation = await services(request).wallet.allocation(user_id, bot_id)
    if allocation is None:  # returned by a concurrent request in between
        raise NotFound("No wallet allocation found for this bot", "NO_ALLOCATION")
    payload: AddToBotResponse = {
        "success": True,
        "message": f"Added {dollars(cents)} to {bot_id}",
        "data": {
            "walletBalance": from_cents(move.balance_cents),
            "addedAmount": from_cents(cents),
            "allocation": allocation_wire(allocation),
            "transaction": transaction_wire(move.transaction),
        },
    }
    return reply(payload)


async def return_from_bot(request: web.Request) -> web.Response:
    body = await read_body(request, ReturnFromBotRequest)
    amount = body.get("returnAmount")
    cents = None if amount is None else parse_amount(amount, "returnAmount")
    result = await services(request).funding.return_from_bot(
        principal(request).user_id, body["botId"], cents
    )
    payload: ReturnFromBotResponse = {
        "success": True,
        "message": f"Returned {dollars(result.returned_cents)} from {body['botId']}",
        "data": {
            "walletBalance": from_cents(result.wallet_balance),
            "returnedAmount": from_cents(result.returned_cents),
            "pnl": from_cents(result.pnl_cents),
            "isFullReturn": result.is_full_return,
            "remainingAllocation": from_cents(result.remaining_allocation),
            "transaction": transaction_wire(result.transaction),
        },
    }
    return reply(payload)


async def sync_wallet(request: web.Request) -> web.Response:
    result, running = await services(request).funding.sync(principal(request).user_id)
    cleaned = len(result.cleaned_bots)
    payload: SyncWalletResponse = {
        "success": True,
        "message": f"Wallet synced: {cleaned} allocation(s) of vanished bots returned"
        if cleaned
        else "Wallet in sync with your bots",
        "data": {
            "runningBots": running,
            "validAllocations": result.valid_allocations,
            "cleanedBots": result.cleaned_bots,
            "totalReturned": from_cents(result.total_returned_cents),
            "newWalletBalance": from_cents(result.new_balance_cents),
        },
    }
    return reply(payload)


ROUTES = [
    Route(
        "POST",
        "/api/account/wallet/add-to-bot",
        add_to_bot,
        Access.USER,
        "W5: move wallet money into a bot (its dry-run wallet grows, trades kept)",
        request=AddToBotRequest,
        response=AddToBotResponse,
        rate_group="account",
        tag="wallet",
    ),
    Route(
        "POST",
        "/api/account/wallet/return-from-bot",
        return_from_bot,
        Access.USER,
        "W6: return money from a bot (never money locked in open trades)",
        request=ReturnFromBotRequest,
        response=ReturnFromBotResponse,
        rate_group="account",
        tag="wallet",
    ),
    Route(
        "POST",
        "/api/freqtrade/sync-wallet",
        sync_wallet,
        Access.USER,
        "W7: return allocations of bots that no longer exist",
        response=SyncWalletResponse,
        tag="wallet",
    ),
]
