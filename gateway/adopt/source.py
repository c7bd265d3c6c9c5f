"""Reads an old per-container bot's folder and checks it can become a pool bot.

Only reads: the folder is the operator's copy of the old container's data and must stay
exactly as it is. Every refusal is a `BadInput` whose message says what to fix.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.errors import BadInput
from gateway.services.money.money import to_cents
from gateway.services.trading.market import EXCHANGES, STAKE_CURRENCIES, TIMEFRAMES, market_pairs
from runtime.botconfig import deep_merge
from runtime.spec import BOT_ID_RE, STRATEGY_RE

# FreqTrade's own default when a config has no `dry_run_wallet`.
FREQTRADE_DEFAULT_WALLET = 1000
_TIMEFRAME_LINE = re.compile(r"^\s+timeframe\s*=\s*[\"']([0-9]+[mhdwM])[\"']", re.MULTILINE)


@dataclass(frozen=True)
class StrategySource:
    """Where the config's strategy class is defined: in the folder, in strategies/, or both."""

    name: str
    in_folder: Path | None
    in_library: Path | None

    @property
    def needs_copy(self) -> bool:
        return self.in_library is None


@dataclass(frozen=True)
class OldBot:
    """What adoption takes from an old bot's folder, validated."""

    folder: Path
    config_files: list[Path]
    database: Path
    strategy: StrategySource
    exchange: str
    stake_currency: str
    pairs: list[str]  # sandbox market pairs in the stake currency
    wallet_cents: int
    stake_amount: str  # as the bots table stores it: "unlimited" or a number
    max_open_trades: int
    timeframe: str


def _refuse(message: str, code: str) -> BadInput:
    return BadInput(message, code)


def read_config(folder: Path) -> tuple[list[Path], dict[str, Any]]:
    """`config.json` then the other `config*.json`, merged as `freqtrade -c a -c b` would."""
    files = sorted(folder.glob("config*.json"), key=lambda p: (p.name != "config.json", p.name))
    if not files:
        raise _refuse(f"no config.json in {folder}", "ADOPT_NO_CONFIG")
    merged: dict[str, Any] = {}
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _refuse(f"{path.name} is not valid JSON: {exc}", "ADOPT_INVALID_CONFIG") from None
        if not isinstance(data, dict):
            raise _refuse(f"{path.name} is not a JSON object", "ADOPT_INVALID_CONFIG")
        merged = deep_merge(merged, data)
    return files, merged


def find_database(folder: Path, config: dict[str, Any]) -> Path:
    """The bot's `tradesv3*.sqlite`; the one `db_url` names when there are several."""
    found = sorted(p for p in folder.rglob("tradesv3*.sqlite") if p.is_file())
    if not found:
        raise _refuse(f"no tradesv3*.sqlite trade database in {folder}", "ADOPT_NO_DATABASE")
    if len(found) > 1:
        named = str(config.get("db_url", "")).rsplit("/", 1)[-1]
        found = [p for p in found if p.name == named] or found
    if len(found) > 1:
        names = ", ".join(str(p.relative_to(folder)) for p in found)
        raise _refuse(
            f"several trade databases in {folder} ({names}); keep only the bot's own",
            "ADOPT_AMBIGUOUS_DATABASE",
        )
    return found[0]


def _defining(folder: Path, name: str) -> list[Path]:
    pattern = re.compile(rf"^class\s+{re.escape(name)}\s*\(", re.MULTILINE)
    return sorted(
        path
        for path in folder.rglob("*.py")
        if "__pycache__" not in path.parts
        and pattern.search(path.read_text(encoding="utf-8", errors="replace"))
    )


def find_strategy(folder: Path, library: Path, name: str) -> StrategySource:
    """Where class `name` is defined; refuses when nowhere, or when two versions disagree."""
    if not isinstance(name, str) or not STRATEGY_RE.match(name):
        raise _refuse("the config's 'strategy' is not a class name", "ADOPT_INVALID_CONFIG")
    mine = _defining(folder, name)
    if len({p.read_bytes() for p in mine}) > 1:
        raise _refuse(
            f"strategy {name} is defined in several different files in {folder}",
            "ADOPT_AMBIGUOUS_STRATEGY",
        )
    theirs = _defining(library, name)
    in_folder = mine[0] if mine else None
    in_library = theirs[0] if theirs else None
    if in_folder is None and in_library is None:
        raise _refuse(
            f"strategy {name} not found in {folder} or in strategies/", "ADOPT_UNKNOWN_STRATEGY"
        )
    if in_folder is not None and in_library is not None:
        if in_folder.read_bytes() != in_library.read_bytes():
            raise _refuse(
                f"strategies/{in_library.name} already defines a different {name}: rename the "
                f"class in the folder's copy or make the two files equal",
                "ADOPT_STRATEGY_CONFLICT",
            )
    elif in_folder is not None:
        target = library / in_folder.name
        if target.exists():
            raise _refuse(
                f"strategies/{target.name} exists and does not define {name}: rename "
                f"{in_folder.name}",
                "ADOPT_STRATEGY_CONFLICT",
            )
    return StrategySource(name, in_folder, in_library)


def _wallet_cents(config: dict[str, Any], stake_currency: str) -> int:
    value = config.get("dry_run_wallet", FREQTRADE_DEFAULT_WALLET)
    if isinstance(value, dict):
        value = value.get(stake_currency)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise _refuse(
            f"dry_run_wallet must be a positive amount of {stake_currency}", "ADOPT_INVALID_CONFIG"
        )
    return to_cents(value)


def _stake_amount(config: dict[str, Any]) -> str:
    value = config.get("stake_amount", "unlimited")
    if value == "unlimited":
        return "unlimited"
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise _refuse("stake_amount must be 'unlimited' or positive", "ADOPT_INVALID_CONFIG")
    return repr(float(value))


def _max_open_trades(config: dict[str, Any]) -> int:
    value = config.get("max_open_trades")
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        raise _refuse("max_open_trades must be an integer 1..100", "ADOPT_INVALID_CONFIG")
    return value


def _timeframe(config: dict[str, Any], strategy: StrategySource) -> str:
    value = config.get("timeframe")
    source = strategy.in_library or strategy.in_folder
    if value is None and source is not None:
        found = _TIMEFRAME_LINE.search(source.read_text(encoding="utf-8", errors="replace"))
        value = found.group(1) if found else None
    if value not in TIMEFRAMES:
        raise _refuse(
            f"timeframe {value} is not one of {', '.join(TIMEFRAMES)}", "ADOPT_INVALID_CONFIG"
        )
    return str(value)


def inspect_folder(folder: Path, library: Path) -> OldBot:
    """Validate an old bot's folder against the platform; raises `BadInput` with the reason."""
    folder = folder.resolve()
    if not folder.is_dir():
        raise _refuse(f"{folder} is not a folder", "ADOPT_NO_FOLDER")
    files, config = read_config(folder)
    if config.get("dry_run") is not True:
        raise _refuse(
            "the config is a live config (dry_run is not true): only dry-run bots are adopted",
            "ADOPT_LIVE_CONFIG",
        )
    if config.get("trading_mode", "spot") != "spot":
        raise _refuse("only spot bots can be adopted", "ADOPT_INVALID_CONFIG")
    stake_currency = config.get("stake_currency")
    if stake_currency not in STAKE_CURRENCIES:
        raise _refuse(
            f"stake_currency {stake_currency} is not one of {', '.join(STAKE_CURRENCIES)}",
            "ADOPT_INVALID_CONFIG",
        )
    exchange = config.get("exchange")
    exchange = exchange if isinstance(exchange, dict) else {}
    whitelist = exchange.get("pair_whitelist")
    if not isinstance(whitelist, list) or not whitelist:
        raise _refuse("exchange.pair_whitelist must list the bot's pairs", "ADOPT_INVALID_CONFIG")
    if not all(isinstance(pair, str) for pair in whitelist):
        raise _refuse("exchange.pair_whitelist must hold pairs", "ADOPT_INVALID_CONFIG")
    pairs = market_pairs(whitelist, stake_currency)  # the pool refuses pairs its exchange lacks
    strategy = find_strategy(folder, library, config.get("strategy", ""))
    name = str(exchange.get("name", "")).lower()
    return OldBot(
        folder=folder,
        config_files=files,
        database=find_database(folder, config),
        strategy=strategy,
        exchange=name if name in EXCHANGES else EXCHANGES[0],
        stake_currency=stake_currency,
        pairs=pairs,
        wallet_cents=_wallet_cents(config, stake_currency),
        stake_amount=_stake_amount(config),
        max_open_trades=_max_open_trades(config),
        timeframe=_timeframe(config, strategy),
    )


def default_bot_id(folder: Path) -> str:
    """The folder's name, when it is a valid bot id (old containers were named by theirs)."""
    if not BOT_ID_RE.match(folder.name):
        raise _refuse(
            f"{folder.name!r} is not a valid bot id: pass --instance-id", "ADOPT_INVALID_ID"
        )
    return folder.name
