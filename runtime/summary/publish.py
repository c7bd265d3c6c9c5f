"""Bot child side: publish FreqTrade's own `/status`, `/balance` and `/trades` answers.

Runs in the bot's loop thread right after a pass (runtime/liveness/hook.py), so it sees the
rates and trades of the pass that just ended and costs the bot the same whatever the number
of dashboards open. The figures are FreqTrade's: `RPC._rpc_trade_status`, `_rpc_balance` and
`_rpc_trade_history`, validated and serialised as its REST API does (its pydantic response
models, orjson), so a summary equals what the bot's API would have answered at that moment.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from runtime.summary.files import SummaryPaths, write_atomically

# The gateway's positions table reads the same page of closed trades from `/api/v1/trades`.
CLOSED_TRADES_LIMIT = 500


class SummaryPublisher:
    """Writes one bot's summary files; the closed trades only when their count changes."""

    def __init__(self, paths: SummaryPaths, pid: int) -> None:
        self.paths = paths
        self.pid = pid
        self._rpc: Any = None
        self._adapters: tuple[Any, Any] = (None, None)
        self._closed_count: int | None = None

    def publish(self, bot: Any, state: str) -> None:
        """Write the summary of the pass `bot` (a FreqtradeBot) has just made."""
        from freqtrade.rpc import RPC, RPCException

        if self._rpc is None or self._rpc._freqtrade is not bot:
            self._rpc = RPC(bot)
            self._adapters = _adapters()
        rpc, (status_model, balance_model) = self._rpc, self._adapters
        config = bot.config
        try:
            status = rpc._rpc_trade_status()
        except RPCException:  # no open trade: the API answers [] (api_trading.status)
            status = []
        balance = rpc._rpc_balance(
            config["stake_currency"], config.get("fiat_display_currency", "")
        )
        summary = {
            "at": time.time(),
            "pid": self.pid,
            "state": state,
            "status": _as_api(status_model, status),
            "balance": _as_api(balance_model, balance),
        }
        closed = self._closed_trades(rpc)
        if closed is not None:
            write_atomically(
                self.paths.closed, orjson.dumps(closed, option=orjson.OPT_SERIALIZE_NUMPY)
            )
        write_atomically(
            self.paths.summary, orjson.dumps(summary, option=orjson.OPT_SERIALIZE_NUMPY)
        )

    def _closed_trades(self, rpc: Any) -> dict[str, Any] | None:
        """FreqTrade's `/trades?limit=500&order_by_id=false`, when a trade closed since."""
        from freqtrade.persistence import Trade
        from sqlalchemy import func, select

        count = int(
            Trade.session.scalar(select(func.count(Trade.id)).filter(Trade.is_open.is_(False))) or 0
        )
        if count == self._closed_count:
            return None
        history: dict[str, Any] = rpc._rpc_trade_history(CLOSED_TRADES_LIMIT, 0, False)
        self._closed_count = count
        return {"at": time.time(), "pid": self.pid, **history}


def _adapters() -> tuple[Any, Any]:
    """The response models of FreqTrade's `/status` and `/balance` routes (api_trading.py)."""
    from freqtrade.rpc.api_server.api_schemas import Balances, OpenTradeSchema
    from pydantic import TypeAdapter

    return TypeAdapter(list[OpenTradeSchema]), TypeAdapter(Balances)


def _as_api(adapter: Any, value: Any) -> Any:
    """What FastAPI sends for a route with this response model: validate, then dump as JSON
    (orjson then writes it as FreqTrade's FTJSONResponse does)."""
    return adapter.dump_python(adapter.validate_python(value), mode="json", by_alias=True)
