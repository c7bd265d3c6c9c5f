"""End to end: an unmodified `freqtrade trade --dry-run` process trades on the sandbox."""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from freqtrade_client import FtRestClient

from sandbox.botconfig import standalone_bot_config
from tests.fixtures.sandbox import STRATEGY_DIR, running_freqtrade
from tests.helpers import free_port, wait_until

logger = logging.getLogger(__name__)

PAIRS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT", "ADA/USDT"]
FIRST_TRADE_DEADLINE = 180.0


@pytest.mark.e2e
def test_scalp_bot_opens_a_trade_on_the_sandbox(sandbox_url: str, tmp_path: Path) -> None:
    api_port = free_port()
    config = standalone_bot_config(
        sandbox_url,
        PAIRS,
        strategy="SandboxScalp1m",
        strategy_path=str(STRATEGY_DIR),
        api_port=api_port,
        jwt_secret_key="e2e-secret-key-that-is-long-enough-0123456789",
        db_url=f"sqlite:///{tmp_path / 'trades.sqlite'}",
    )
    client = FtRestClient(f"http://127.0.0.1:{api_port}", "sandbox", "sandbox", timeout=5)
    started = time.monotonic()
    with running_freqtrade(config, tmp_path) as process:

        def alive() -> None:
            # Checked outside the polled predicates, which would swallow the failure and wait.
            assert process.poll() is None, (tmp_path / "freqtrade.log").read_text()[-3000:]

        def api_up() -> bool:
            return process.poll() is not None or client.ping() == {"status": "pong"}

        wait_until(api_up, timeout=90, interval=0.5, what="FreqTrade REST API")
        alive()
        api_seconds = time.monotonic() - started

        def first_trade() -> list[dict[str, Any]] | None:
            if process.poll() is not None:
                return [{}]
            # `/status` lists open trades, `/trades` only closed ones: a quick trade may be
            # in either by the time we look.
            trades: list[dict[str, Any]] = client.status() + client.trades()["trades"]
            return trades or None

        trades = wait_until(
            first_trade, timeout=FIRST_TRADE_DEADLINE, interval=1, what="a first trade"
        )
        alive()
        trade_seconds = time.monotonic() - started
        logger.info(
            "freqtrade API after %.1fs, first trade after %.1fs", api_seconds, trade_seconds
        )
        trade = trades[0]
        assert trade["pair"] in PAIRS
        assert trade["exchange"].lower() == "binance"
        assert trade["open_rate"] > 0 and trade["stake_amount"] > 0
        # Entries take the other side of the sandbox's book, so the order filled at once.
        assert trade["amount"] > 0
        assert all(order["status"] == "closed" for order in trade["orders"])
        # The bot priced it from the sandbox's market, not from anywhere else.
        symbol = trade["pair"].replace("/", "")
        url = f"{sandbox_url}/api/v3/ticker/price?symbol={symbol}"
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (local URL)
            price = float(json.load(response)["price"])
        assert trade["open_rate"] == pytest.approx(price, rel=0.05)
        assert client.show_config()["dry_run"] is True
    # FreqTrade turns SIGTERM into KeyboardInterrupt: it cleans up, then exits with 130.
    log = (tmp_path / "freqtrade.log").read_text()
    assert process.returncode == 130, log[-3000:]
    assert "Cleaning up modules" in log
