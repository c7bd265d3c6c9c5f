"""An old per-container bot's folder, made by a real stand-alone FreqTrade, and a real pool."""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from freqtrade_client import FtRestClient

from sandbox.botconfig import standalone_bot_config
from tests.fixtures.pools import POOL_TOKEN, RunningPool, running_pool
from tests.fixtures.sandbox import STRATEGY_DIR, running_freqtrade
from tests.helpers import free_port, wait_until

OLD_PAIRS = ["BTC/USDT", "ETH/USDT"]
OLD_WALLET = 750.0
# SafeDefaultStrategy never exits: the forced trade is still open when the pool bot starts.
OLD_STRATEGY = "SafeDefaultStrategy"


@dataclass(frozen=True)
class OldBot:
    """The old bot's folder and the trade it left open."""

    folder: Path
    trade: dict[str, Any]

    def copy(self, target: Path) -> Path:
        """A copy of the folder to change for a refusal case."""
        shutil.copytree(self.folder, target)
        return target

    def config(self, folder: Path) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((folder / "config.json").read_text())
        return data


@pytest.fixture(scope="module")
def old_bot(sandbox_url: str, tmp_path_factory: pytest.TempPathFactory) -> OldBot:
    """Run `freqtrade trade` stand-alone in a folder, force one trade open, stop it."""
    folder = tmp_path_factory.mktemp("old") / "old-bot-1"
    folder.mkdir()
    api_port = free_port()
    config = standalone_bot_config(
        sandbox_url,
        OLD_PAIRS,
        strategy=OLD_STRATEGY,
        strategy_path=str(STRATEGY_DIR),
        api_port=api_port,
        jwt_secret_key="old-container-secret-that-is-long-enough-0123",
        db_url=f"sqlite:///{folder / 'tradesv3.dryrun.sqlite'}",
        dry_run_wallet=OLD_WALLET,
    )
    config["force_entry_enable"] = True
    client = FtRestClient(f"http://127.0.0.1:{api_port}", "sandbox", "sandbox", timeout=5)
    with running_freqtrade(config, folder) as process:
        wait_until(
            lambda: process.poll() is not None or client.ping() == {"status": "pong"},
            timeout=90,
            interval=0.5,
            what="the stand-alone bot's API",
        )
        assert process.poll() is None, (folder / "freqtrade.log").read_text()[-3000:]

        def forced() -> dict[str, Any] | None:
            # The bot refuses until its first loop ran (the pairs' data is loaded).
            client.forceenter("BTC/USDT", "long")
            status = client.status()
            return status[0] if isinstance(status, list) and status else None

        trade = wait_until(forced, timeout=60, interval=1, what="a forced trade")
    assert trade["is_open"] and trade["pair"] == "BTC/USDT"
    return OldBot(folder, trade)


@pytest.fixture(scope="module")
def pool(sandbox_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPool]:
    """One real pool supervisor for the module's adoptions."""
    data_dir = tmp_path_factory.mktemp("adopt-pool") / "data"
    with running_pool(data_dir, sandbox_url, pool_id="pool-adopt", capacity=5) as running:
        yield running


def pool_bots(pool: RunningPool) -> list[dict[str, Any]]:
    """What the pool itself runs (not what the gateway believes)."""
    request = urllib.request.Request(
        pool.url + "/bots", headers={"Authorization": f"Bearer {POOL_TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (local URL)
        bots: list[dict[str, Any]] = json.loads(response.read())["bots"]
    return bots


def remove_pool_bot(pool: RunningPool, bot_id: str) -> None:
    request = urllib.request.Request(
        f"{pool.url}/bots/{bot_id}",
        method="DELETE",
        headers={"Authorization": f"Bearer {POOL_TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (local URL)
        assert response.status == 200
