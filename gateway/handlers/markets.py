"""The pairs the provisioning form offers, read from the exchange's market list."""

from __future__ import annotations

from aiohttp import web

from gateway.handlers.common import reply, services
from gateway.models.bots import MarketsResponse
from gateway.routing import Access, QueryParam, Route
from gateway.services.trading.market import STAKE_CURRENCIES


async def get_markets(request: web.Request) -> web.Response:
    quote = request.query.get("quote", "USDT").upper()
    pairs = await services(request).markets.pairs(quote)
    return reply(MarketsResponse(success=True, quote=quote, pairs=pairs))


QUOTE = QueryParam(
    "quote", {"type": "string", "enum": list(STAKE_CURRENCIES)}, "quote currency (default USDT)"
)

ROUTES = [
    Route("GET", "/api/freqtrade/markets", get_markets, Access.USER,
          "Spot pairs the exchange lists for one quote (?quote=USDT|USD|EUR), cached 5 min;"
          " 400 INVALID_QUOTE, 503 MARKET_UNAVAILABLE", MarketsResponse, tag="bots",
          query=(QUOTE,)),
]  # fmt: skip
