"""Reading an old bot's folder: config merging, wallet, strategy lookup, database snapshot."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from gateway.adopt.snapshot import fingerprint, snapshot_database
from gateway.adopt.source import default_bot_id, find_strategy, inspect_folder
from gateway.errors import ApiError, BadInput

STRATEGY = """from freqtrade.strategy import IStrategy


class OldTimer(IStrategy):
    timeframe = "15m"
"""


def _folder(tmp_path: Path, **config: Any) -> Path:
    folder = tmp_path / "old-bot"
    (folder / "user_data" / "strategies").mkdir(parents=True)
    base: dict[str, Any] = {
        "dry_run": True,
        "stake_currency": "USDT",
        "stake_amount": 50,
        "max_open_trades": 2,
        "dry_run_wallet": {"USDT": 321.5, "BTC": 0.1},
        "strategy": "OldTimer",
        "exchange": {"name": "Kraken", "pair_whitelist": ["btc/usd", "ETH/USDT"]},
    }
    (folder / "config.json").write_text(json.dumps(base | config))
    (folder / "user_data" / "strategies" / "old_timer.py").write_text(STRATEGY)
    with sqlite3.connect(folder / "tradesv3.dryrun.sqlite") as conn:
        conn.execute("CREATE TABLE trades (id INTEGER PRIMARY KEY, is_open BOOLEAN)")
        conn.executemany("INSERT INTO trades (is_open) VALUES (?)", [(1,), (0,), (0,)])
    conn.close()
    return folder


def test_a_valid_folder_is_read(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "config-private.json").write_text(json.dumps({"max_open_trades": 4}))
    library = tmp_path / "library"
    library.mkdir()
    old = inspect_folder(folder, library)
    assert [p.name for p in old.config_files] == ["config.json", "config-private.json"]
    assert old.max_open_trades == 4  # later files win, as with `freqtrade -c a -c b`
    assert old.wallet_cents == 32150  # the stake currency's entry of a dict wallet
    assert old.pairs == ["BTC/USDT", "ETH/USDT"]  # re-quoted onto the sandbox, deduplicated
    assert (old.exchange, old.stake_amount, old.timeframe) == ("kraken", "50.0", "15m")
    assert old.strategy.needs_copy and old.strategy.in_folder is not None
    assert old.database == folder / "tradesv3.dryrun.sqlite"
    assert default_bot_id(folder) == "old-bot"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"dry_run": False}, "live config"),
        ({"stake_currency": "GBP"}, "stake_currency GBP"),
        ({"exchange": {"pair_whitelist": []}}, "pair_whitelist"),
        ({"exchange": {"pair_whitelist": ["BTCUSDT"]}}, "not a pair like BTC/USD"),
        ({"dry_run_wallet": 0}, "dry_run_wallet"),
        ({"max_open_trades": -1}, "max_open_trades"),
        ({"trading_mode": "futures"}, "only spot"),
        ({"strategy": "Missing"}, "strategy Missing not found"),
        ({"timeframe": "2m"}, "timeframe 2m"),
    ],
)
def test_invalid_folders_are_refused(tmp_path: Path, config: dict[str, Any], message: str) -> None:
    folder = _folder(tmp_path, **config)
    with pytest.raises(ApiError) as caught:
        inspect_folder(folder, tmp_path)
    assert message in caught.value.message


def test_the_strategy_library_decides_about_copies(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    library = tmp_path / "library"
    library.mkdir()
    (library / "old_timer.py").write_text(STRATEGY)
    same = find_strategy(folder, library, "OldTimer")
    assert not same.needs_copy  # an identical file: nothing to copy
    (library / "old_timer.py").write_text(STRATEGY.replace("15m", "1h"))
    with pytest.raises(BadInput, match="already defines a different OldTimer"):
        find_strategy(folder, library, "OldTimer")
    (library / "old_timer.py").write_text("# something else\n")
    with pytest.raises(BadInput, match="exists and does not define OldTimer"):
        find_strategy(folder, library, "OldTimer")


def test_snapshot_copies_without_touching_the_source(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    before = fingerprint(folder)
    target_dir = tmp_path / "snap"
    target_dir.mkdir()
    counts = snapshot_database(folder / "tradesv3.dryrun.sqlite", target_dir / "trades.sqlite")
    assert (counts.total, counts.open) == (3, 1)
    assert fingerprint(folder) == before
    assert [p.name for p in target_dir.iterdir()] == ["trades.sqlite"]


def test_snapshot_refuses_what_is_not_a_trade_database(tmp_path: Path) -> None:
    fake = tmp_path / "tradesv3.sqlite"
    fake.write_text("not sqlite")
    (tmp_path / "snap").mkdir()
    with pytest.raises(BadInput, match="not a usable SQLite trade database"):
        snapshot_database(fake, tmp_path / "snap" / "trades.sqlite")
