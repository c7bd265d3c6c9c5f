"""A bot's folder and FreqTrade config, built from its spec and the pool's settings.

The supervisor writes `config.json` (everything but the exchange). The bot child adds
`exchange.json` (from `runtime.exchange.exchange_block`) just before it starts, because
that needs ccxt, which is warm in the forkserver but kept out of the lean supervisor; the
bot then runs as `freqtrade trade -c exchange.json -c config.json`.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.errors import InvalidInput
from runtime.exchange import ExchangeSpec, exchange_block
from runtime.spec import BotSpec
from runtime.store import ApiCredentials, atomic_write

PROCESS_THROTTLE_SECS = 2


@dataclass(frozen=True)
class BotPaths:
    """Where one bot's files live: all inside `<data_dir>/bots/<bot_id>/`."""

    root: Path

    @classmethod
    def of(cls, data_dir: Path, bot_id: str) -> BotPaths:
        return cls(data_dir.resolve() / "bots" / bot_id)

    @property
    def config(self) -> Path:
        return self.root / "config.json"

    @property
    def exchange(self) -> Path:
        return self.root / "exchange.json"

    @property
    def database(self) -> Path:
        return self.root / "tradesv3.dryrun.sqlite"

    @property
    def log(self) -> Path:
        return self.root / "logs" / "freqtrade.log"

    @property
    def heartbeat(self) -> Path:
        return self.root / "heartbeat.json"

    @property
    def stdio(self) -> Path:
        return self.root / "logs" / "stdio.log"

    @property
    def error(self) -> Path:
        return self.root / "last_error.txt"


def strategies_dir() -> Path:
    """The repo's `strategies/` package folder, found without importing it."""
    found = importlib.util.find_spec("strategies")
    if found is None or not found.submodule_search_locations:
        raise RuntimeError("the strategies package is not importable")
    return Path(next(iter(found.submodule_search_locations)))


_CLASS_DEF = re.compile(r"^class\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)", re.MULTILINE)


@dataclass(frozen=True)
class StrategyLibrary:
    """What a strategy folder holds, read from the source (never imported)."""

    names: tuple[str, ...]  # classes that are IStrategy subclasses, directly or not
    ladder: frozenset[str]  # those of them that inherit TakeProfitLadder, directly or not


def classes_in(source: str) -> dict[str, set[str]]:
    """The top-level classes a source defines and the (last part of the) names of their bases."""
    return {
        name: {b.strip().rsplit(".", 1)[-1] for b in raw.split(",") if b.strip()}
        for name, raw in _CLASS_DEF.findall(source)
    }


def library_of(sources: Mapping[str, str]) -> StrategyLibrary:
    """The strategies of a tree (relative path -> source): classes of its top-level files,
    as FreqTrade only searches those; their bases may live anywhere in the tree."""
    bases: dict[str, set[str]] = {}
    top: set[str] = set()
    for relative, source in sources.items():
        defined = classes_in(source)
        bases.update(defined)
        if "/" not in relative:
            top.update(defined)

    def inherits(name: str, target: str, seen: frozenset[str] = frozenset()) -> bool:
        direct = bases.get(name, set())
        if target in direct:
            return True
        return any(inherits(b, target, seen | {name}) for b in direct - seen - {name})

    names = tuple(sorted(n for n in top if inherits(n, "IStrategy")))
    return StrategyLibrary(names, frozenset(n for n in names if inherits(n, "TakeProfitLadder")))


def read_sources(folder: Path) -> dict[str, str]:
    """Every .py file below `folder`: relative POSIX path -> source."""
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*.py"))
    }


def read_library(folder: Path | None = None) -> StrategyLibrary:
    """Every strategy of the folder (default the shipped `strategies/`); a mixin alone is not
    a strategy."""
    return library_of(read_sources(folder or strategies_dir()))


def strategy_names(folder: Path | None = None) -> tuple[str, ...]:
    """Class names of the strategies in the folder (default `strategies/`)."""
    return read_library(folder).names


def check_strategy(
    name: str, library: StrategyLibrary | None = None, where: str = "strategies/"
) -> None:
    """422 unless a strategy class of that name is defined in the library (default the
    shipped `strategies/`)."""
    if name not in (library or read_library()).names:
        raise InvalidInput(f"no strategy named {name} in {where}", "UNKNOWN_STRATEGY")


def deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """`extra` merged into a copy of `base`; nested objects merge, other values replace."""
    merged = copy.deepcopy(dict(base))
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _log_config() -> dict[str, Any]:
    """FreqTrade's `log_config`: incremental, so its `setup_logging` (dictConfig) keeps the
    one handler the bot child installed (runtime/child.py: the rotated logs/freqtrade.log
    in the pool's format) and only sets the levels of its third-party loggers. A full config
    would close that handler and open a second one on the same file in FreqTrade's format."""
    # FreqTrade's config schema wants these keys; empty, an incremental dictConfig ignores them.
    return {
        "version": 1,
        "incremental": True,
        "disable_existing_loggers": False,
        "formatters": {},
        "handlers": {},
        "root": {},
    }


def build_config(
    spec: BotSpec,
    port: int,
    api: ApiCredentials,
    paths: BotPaths,
    *,
    api_password: str,
    strategy_path: Path,
) -> dict[str, Any]:
    """The bot's FreqTrade config (without `exchange`), overrides merged last."""
    config: dict[str, Any] = {
        "bot_name": spec.bot_id,
        "dry_run": True,
        "dry_run_wallet": spec.dry_run_wallet,
        "trading_mode": "spot",
        "stake_currency": spec.stake_currency,
        "stake_amount": spec.stake_amount,
        "tradable_balance_ratio": 0.99,
        "max_open_trades": spec.max_open_trades,
        "fiat_display_currency": "",
        "cancel_open_orders_on_exit": False,
        "unfilledtimeout": {"entry": 2, "exit": 2, "unit": "minutes"},
        # Take the other side of the book so dry-run orders fill at once.
        "entry_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "exit_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "pairlists": [{"method": "StaticPairList"}],
        "strategy": spec.strategy,
        "strategy_path": str(strategy_path),
        "db_url": f"sqlite:///{paths.database}",
        "user_data_dir": str(paths.root),
        "initial_state": "running",
        "internals": {"process_throttle_secs": PROCESS_THROTTLE_SECS, "heartbeat_interval": 300},
        "telegram": {"enabled": False, "token": "", "chat_id": ""},
        "log_config": _log_config(),
        "api_server": {
            "enabled": True,
            "listen_ip_address": "127.0.0.1",
            "listen_port": port,
            "verbosity": "error",
            "enable_openapi": False,
            "jwt_secret_key": api.jwt_secret,
            "ws_token": api.ws_token,
            "CORS_origins": [],
            "username": api.username,
            "password": api_password,
        },
    }
    if spec.timeframe is not None:
        config["timeframe"] = spec.timeframe
    return deep_merge(config, spec.config_overrides)


def write_bot_files(
    spec: BotSpec,
    port: int,
    api: ApiCredentials,
    paths: BotPaths,
    *,
    api_password: str,
    strategy_path: Path,
) -> None:
    """Create the bot's folder and (re)write its config; clear the last run's error."""
    paths.log.parent.mkdir(parents=True, exist_ok=True)
    config = build_config(
        spec, port, api, paths, api_password=api_password, strategy_path=strategy_path
    )
    atomic_write(paths.config, json.dumps(config, indent=2) + "\n")
    paths.error.unlink(missing_ok=True)


def write_exchange_file(path: str, exchange: ExchangeSpec, pairs: list[str]) -> None:
    """Runs in the bot child (ccxt is warm there): the pool's `exchange` block."""
    block = {"exchange": exchange_block(exchange, pairs)}
    atomic_write(Path(path), json.dumps(block, indent=2) + "\n")
