"""W1-W4 and W8: the paper wallet (view, set balance, deposit, withdraw, the paged ledger).

`allocation_wire` and `transaction_wire` also serialise W5-W7 answers.
"""

from __future__ import annotations

from aiohttp import web

from gateway.errors import BadInput
from gateway.handlers.common import principal, read_body, reply, services
from gateway.models.wallet import (
    AmountRequest,
    BotAllocation,
    LedgerTransaction,
    SetBalanceRequest,
    TransactionsResponse,
    WalletData,
    WalletMoveResponse,
    WalletResponse,
    WalletTransaction,
)
from gateway.routing import Access, QueryParam, Route
from gateway.services.common import iso
from gateway.services.money.money import dollars, from_cents, parse_amount
from gateway.services.money.wallet import (
    MAX_SET_BALANCE_CENTS,
    MAX_TRANSACTIONS_OFFSET,
    MAX_TRANSACTIONS_PAGE,
    RECENT_TRANSACTIONS,
    Allocation,
    Transaction,
    WalletMove,
    WalletView,
)


def allocation_wire(allocation: Allocation) -> BotAllocation:
    """One `botAllocations` entry."""
    return {
        "allocatedAmount": from_cents(allocation.allocated_cents),
        "currentValue": from_cents(allocation.current_value_cents),
        "reservedInTrades": from_cents(allocation.reserved_cents),
        "availableBalance": from_cents(allocation.available_cents),
        "lifetimePnL": from_cents(allocation.lifetime_pnl_cents),
        "allocatedAt": iso(allocation.allocated_at) or "",
        "botName": allocation.bot_name,
    }


def transaction_wire(transaction: Transaction) -> WalletTransaction:
    """One ledger row; `botId`/`botName` only on bot moves."""
    wire: WalletTransaction = {
        "type": transaction.type,
        "amount": from_cents(transaction.amount_cents),
        "description": transaction.description,
        "balanceAfter": from_cents(transaction.balance_after_cents),
        "timestamp": iso(transaction.created_at) or "",
    }
    if transaction.bot_id is not None:
        wire["botId"] = transaction.bot_id
    if transaction.bot_name is not None:
        wire["botName"] = transaction.bot_name
    return wire


def ledger_wire(transaction: Transaction) -> LedgerTransaction:
    """One W8 row: the W1 row plus the row's id."""
    return {"id": transaction.id, **transaction_wire(transaction)}


def wallet_wire(view: WalletView) -> WalletData:
    """W1 `data`."""
    return {
        "balance": from_cents(view.balance_cents),
        "currency": view.currency,
        "lastUpdated": iso(view.last_updated) or "",
        "totalAllocated": from_cents(view.total_allocated_cents),
        "totalCurrentValue": from_cents(view.total_current_value_cents),
        "totalPortfolioValue": from_cents(view.total_portfolio_value_cents),
        "unrealizedPnL": from_cents(view.unrealized_pnl_cents),
        "botAllocations": {a.bot_id: allocation_wire(a) for a in view.allocations},
        "recentTransactions": [transaction_wire(t) for t in view.recent],
    }


def _move_reply(message: str, move: WalletMove) -> web.Response:
    payload: WalletMoveResponse = {
        "success": True,
        "message": message,
        "data": {
            "balance": from_cents(move.balance_cents),
            "transaction": transaction_wire(move.transaction),
        },
    }
    return reply(payload)


async def get_wallet(request: web.Request) -> web.Response:
    view = await services(request).wallet.view(principal(request).user_id)
    payload: WalletResponse = {"success": True, "data": wallet_wire(view)}
    return reply(payload)


async def set_balance(request: web.Request) -> web.Response:
    body = await read_body(request, SetBalanceRequest)
    cents = parse_amount(
        body["amount"], "amount", minimum_cents=0, maximum_cents=MAX_SET_BALANCE_CENTS
    )
    move = await services(request).wallet.set_balance(principal(request).user_id, cents)
    return _move_reply(f"Wallet balance set to {dollars(move.balance_cents)}", move)


async def deposit(request: web.Request) -> web.Response:
    body = await read_body(request, AmountRequest)
    cents = parse_amount(body["amount"], "amount")
    description = body.get("description", "").strip() or "Manual deposit"
    move = await services(request).wallet.deposit(principal(request).user_id, cents, description)
    return _move_reply(f"Deposited {dollars(cents)}", move)


async def withdraw(request: web.Request) -> web.Response:
    body = await read_body(request, AmountRequest)
    cents = parse_amount(body["amount"], "amount")
    description = body.get("description", "").strip() or "Manual withdrawal"
    move = await services(request).wallet.withdraw(principal(request).user_id, cents, description)
    return _move_reply(f"Withdrew {dollars(cents)}", move)


def _whole(request: web.Request, name: str, default: int, code: str) -> int:
    raw = request.query.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadInput(f"{name} must be a whole number", code) from None


async def list_transactions(request: web.Request) -> web.Response:
    limit = _whole(request, "limit", RECENT_TRANSACTIONS, "INVALID_LIMIT")
    offset = _whole(request, "offset", 0, "INVALID_OFFSET")
    page = await services(request).wallet.transactions(principal(request).user_id, limit, offset)
    payload: TransactionsResponse = {
        "success": True,
        "data": {
            "transactions": [ledger_wire(t) for t in page.transactions],
            "total": page.total,
            "limit": page.limit,
            "offset": page.offset,
        },
    }
    return reply(payload)


_PAGE_QUERY = (
    QueryParam(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_TRANSACTIONS_PAGE,
         "default": RECENT_TRANSACTIONS},
        "How many ledger rows (400 INVALID_LIMIT outside 1..100)",
    ),
    QueryParam(
        "offset",
        {"type": "integer", "minimum": 0, "maximum": MAX_TRANSACTIONS_OFFSET, "default": 0},
        "How many of the newest rows to skip (400 INVALID_OFFSET when negative or past the "
        "maximum)",
    ),
)  # fmt: skip

ROUTES = [
    Route("GET", "/api/account/wallet", get_wallet, Access.USER,
          "The paper wallet: balance, bot allocations, recent transactions", WalletResponse,
          rate_group="account", tag="wallet"),
    Route("POST", "/api/account/wallet/set-balance", set_balance, Access.USER,
          "Set the paper balance (0 to 1,000,000 USD)", WalletMoveResponse, SetBalanceRequest,
          rate_group="account", tag="wallet"),
    Route("POST", "/api/account/wallet/deposit", deposit, Access.USER,
          "Add paper money (up to the maximum wallet size)", WalletMoveResponse, AmountRequest,
          rate_group="account", tag="wallet"),
    Route("POST", "/api/account/wallet/withdraw", withdraw, Access.USER,
          "Take paper money out of the wallet", WalletMoveResponse, AmountRequest,
          rate_group="account", tag="wallet"),
    Route("GET", "/api/account/wallet/transactions", list_transactions, Access.USER,
          "W8: the wallet ledger, newest first, paged (limit 1..100, default 20; offset)",
          TransactionsResponse, rate_group="account", tag="wallet", query=_PAGE_QUERY),
]  # fmt: skip
