"""A bot's specification as the gateway sends it, validated; what pool.json stores."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from runtime.errors import BadRequest, InvalidInput, TooLarge

BOT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
STRATEGY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
PAIR_RE = re.compile(r"^[A-Z0-9]{1,20}/[A-Z0-9]{1,20}$")
CURRENCY_RE = re.compile(r"^[A-Z0-9]{2,10}$")
TIMEFRAME_RE = re.compile(r"^[0-9]{1,3}[smhdwM]$")
OWNER_RE = re.compile(r"^[^\x00-\x1f]{1,128}$")
MAX_PAIRS = 50
COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")
# One part of a strategy file's path: a plain name, never `.`, `..` or hidden.
PATH_PART_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
MAX_STRATEGY_FILES = 500
MAX_STRATEGY_DEPTH = 8
MAX_STRATEGY_FILE_BYTES = 1024 * 1024
MAX_STRATEGY_TREE_BYTES = 4 * 1024 * 1024

# Keys the pool owns: overriding them would break isolation or leave the sandbox.
FORBIDDEN_OVERRIDES = frozenset(
    {
        "db_url",
        "api_server",
        "user_data_dir",
        "datadir",
        "strategy_path",
        "log_config",
        "logfile",
        "exchange",
        "telegram",
        "webhook",
        "discord",
        "external_message_consumer",
        "bot_name",
    }
)


@dataclass(frozen=True)
class StrategyVersion:
    """Which version of the strategy store a bot runs: the store's commit and version number."""

    commit: str
    version: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BotSpec:
    """What a bot is: who owns it and how it trades."""

    bot_id: str
    owner: str
    strategy: str
    pairs: list[str]
    stake_currency: str
    dry_run_wallet: float
    stake_amount: float | str = "unlimited"
    max_open_trades: int = 3
    timeframe: str | None = None
    config_overrides: dict[str, Any] = field(default_factory=dict)
    # None: the strategies shipped in `strategies/`; else a checkout of the gateway's store.
    strategy_version: StrategyVersion | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BotSpec:
        """Trusted data (pool.json): no validation."""
        values = dict(data)
        version = values.pop("strategy_version", None)
        return cls(
            **values, strategy_version=None if version is None else StrategyVersion(**version)
        )


def _require(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in data:
        raise InvalidInput(f"'{key}' is required", "MISSING_FIELD")
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InvalidInput(f"'{key}' has the wrong type", "INVALID_FIELD")
    return value


def _positive_number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(f"'{key}' must be a positive number", "INVALID_FIELD")
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(f"'{key}' must be a positive number", "INVALID_FIELD") from None
    if not math.isfinite(number) or number <= 0:
        raise InvalidInput(f"'{key}' must be a positive number", "INVALID_FIELD")
    return number


def validate_bot_id(bot_id: Any) -> str:
    if not isinstance(bot_id, str) or not BOT_ID_RE.match(bot_id):
        raise InvalidInput("bot_id must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", "INVALID_BOT_ID")
    return bot_id


def validate_overrides(value: Any) -> dict[str, Any]:
    """Overrides are a JSON object that may not touch the keys the pool owns."""
    if not isinstance(value, dict):
        raise InvalidInput("'config_overrides' must be an object", "INVALID_FIELD")
    forbidden = sorted(FORBIDDEN_OVERRIDES & value.keys())
    if forbidden:
        raise InvalidInput(
            f"config_overrides may not set {', '.join(forbidden)}", "FORBIDDEN_OVERRIDE"
        )
    if "dry_run" in value and value["dry_run"] is not True:
        raise InvalidInput("config_overrides may not turn dry_run off", "FORBIDDEN_OVERRIDE")
    return value


def _pairs(value: Any, stake_currency: str) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > MAX_PAIRS:
        raise InvalidInput(f"'pairs' must be a list of 1..{MAX_PAIRS} pairs", "INVALID_FIELD")
    for pair in value:
        if not isinstance(pair, str) or not PAIR_RE.match(pair):
            raise InvalidInput(f"pair {pair!r} is not like BTC/USDT", "INVALID_PAIR")
        if pair.split("/")[1] != stake_currency:
            raise InvalidInput(
                f"pair {pair} is not quoted in the stake currency {stake_currency}",
                "INVALID_PAIR",
            )
    if len(set(value)) != len(value):
        raise InvalidInput("'pairs' has duplicates", "INVALID_PAIR")
    return list(value)


def _stake_amount(value: Any) -> float | str:
    if value == "unlimited":
        return "unlimited"
    return _positive_number(value, "stake_amount")


def _max_open_trades(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        raise InvalidInput("'max_open_trades' must be an integer 1..100", "INVALID_FIELD")
    return value


def parse_bot_spec(data: Any) -> BotSpec:
    """Validate an add-bot request body; raises BadRequest/InvalidInput."""
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    bot_id = validate_bot_id(_require(data, "bot_id", str))
    owner = _require(data, "owner", str)
    if not OWNER_RE.match(owner):
        raise InvalidInput("'owner' must be 1..128 printable characters", "INVALID_FIELD")
    strategy = _require(data, "strategy", str)
    if not STRATEGY_RE.match(strategy):
        raise InvalidInput("'strategy' is not a class name", "INVALID_STRATEGY")
    stake_currency = _require(data, "stake_currency", str)
    if not CURRENCY_RE.match(stake_currency):
        raise InvalidInput("'stake_currency' must be like USDT", "INVALID_FIELD")
    timeframe = data.get("timeframe")
    if timeframe is not None and (
        not isinstance(timeframe, str) or not TIMEFRAME_RE.match(timeframe)
    ):
        raise InvalidInput("'timeframe' must be like 1m or 15m", "INVALID_FIELD")
    known = set(BotSpec.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(unknown)}", "UNKNOWN_FIELD")
    return BotSpec(
        bot_id=bot_id,
        owner=owner,
        strategy=strategy,
        pairs=_pairs(data.get("pairs"), stake_currency),
        stake_currency=stake_currency,
        dry_run_wallet=_positive_number(
            _require(data, "dry_run_wallet", (int, float, str)), "dry_run_wallet"
        ),
        stake_amount=_stake_amount(data.get("stake_amount", "unlimited")),
        max_open_trades=_max_open_trades(data.get("max_open_trades", 3)),
        timeframe=timeframe,
        config_overrides=validate_overrides(data.get("config_overrides", {})),
        strategy_version=_strategy_version(data.get("strategy_version")),
    )


def _strategy_version(value: Any) -> StrategyVersion | None:
    """`{"commit", "version"}` (files already split off by `split_strategy_files`) or null."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"commit", "version"}:
        raise InvalidInput(
            "'strategy_version' must be an object with commit, version and files",
            "INVALID_STRATEGY_VERSION",
        )
    commit, version = value["commit"], value["version"]
    if not isinstance(commit, str) or not COMMIT_RE.match(commit):
        raise InvalidInput(
            "'strategy_version.commit' must be a git commit id (40 lowercase hex digits)",
            "INVALID_STRATEGY_VERSION",
        )
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidInput(
            "'strategy_version.version' must be an integer >= 1", "INVALID_STRATEGY_VERSION"
        )
    return StrategyVersion(commit, version)


def _strategy_path(path: Any) -> str:
    """A relative path like `lib/base.py`: plain parts, no `..`, no absolute path."""
    parts = path.split("/") if isinstance(path, str) else []
    if (
        not isinstance(path, str)
        or len(parts) > MAX_STRATEGY_DEPTH
        or not all(PATH_PART_RE.match(part) for part in parts)
        or not path.endswith(".py")
    ):
        raise InvalidInput(
            f"strategy file {path!r} is not a relative path of plain names ending in .py",
            "INVALID_STRATEGY_FILE",
        )
    return path


def _strategy_files(value: Any) -> dict[str, str]:
    """The store's whole tree at one commit: relative path -> source, within the limits."""
    if not isinstance(value, dict) or not value:
        raise InvalidInput(
            "'strategy_version.files' must be a non-empty object of path -> source",
            "INVALID_STRATEGY_FILE",
        )
    if len(value) > MAX_STRATEGY_FILES:
        raise TooLarge(
            f"'strategy_version.files' holds {len(value)} files, at most "
            f"{MAX_STRATEGY_FILES} are accepted",
            "STRATEGY_TOO_LARGE",
        )
    files: dict[str, str] = {}
    total = 0
    for path, source in value.items():
        if not isinstance(source, str):
            raise InvalidInput(f"strategy file {path!r} is not text", "INVALID_STRATEGY_FILE")
        size = len(source.encode("utf-8"))
        if size > MAX_STRATEGY_FILE_BYTES:
            raise TooLarge(
                f"strategy file {path!r} has {size} bytes, at most "
                f"{MAX_STRATEGY_FILE_BYTES} are accepted",
                "STRATEGY_TOO_LARGE",
            )
        total += size
        files[_strategy_path(path)] = source
    if total > MAX_STRATEGY_TREE_BYTES:
        raise TooLarge(
            f"the strategy files have {total} bytes, at most {MAX_STRATEGY_TREE_BYTES} "
            "are accepted",
            "STRATEGY_TOO_LARGE",
        )
    folders = {str(parent) for path in files for parent in PurePosixPath(path).parents}
    clash = sorted(folders & files.keys())
    if clash:
        raise InvalidInput(
            f"strategy file {clash[0]!r} is also a folder of another file", "INVALID_STRATEGY_FILE"
        )
    return files


STRATEGY_VERSION = "strategy_version"


def split_strategy_files(data: Any) -> tuple[Any, dict[str, str] | None]:
    """The body with `strategy_version` reduced to `{commit, version}`, and its files.

    The sources are written once into the pool's checkout of that commit and never become
    part of the stored spec; `"strategy_version": null` (back to the shipped strategies)
    passes through. Raises InvalidInput (422) or TooLarge (413).
    """
    if not isinstance(data, dict) or data.get(STRATEGY_VERSION) is None:
        return data, None
    value = data[STRATEGY_VERSION]
    if not isinstance(value, dict) or "files" not in value:
        raise InvalidInput(
            "'strategy_version' must be an object with commit, version and files",
            "INVALID_STRATEGY_VERSION",
        )
    reduced = {k: v for k, v in value.items() if k != "files"}
    _strategy_version(reduced)
    return {**data, STRATEGY_VERSION: reduced}, _strategy_files(value["files"])


SQLITE_HEADER = b"SQLite format 3\x00"
IMPORT_DATABASE = "import_database"


def split_import_database(data: Any) -> tuple[Any, Path | None]:
    """The add-bot body without `import_database`, and that trade database, validated.

    `import_database` (an adopted bot's trades) is used once, when the bot's folder is
    created, so it never becomes part of the stored spec.
    """
    if not isinstance(data, dict) or IMPORT_DATABASE not in data:
        return data, None
    rest = {k: v for k, v in data.items() if k != IMPORT_DATABASE}
    value = data[IMPORT_DATABASE]
    if not isinstance(value, str) or not Path(value).is_absolute():
        raise InvalidInput(f"'{IMPORT_DATABASE}' must be an absolute path", "INVALID_FIELD")
    path = Path(value)
    try:
        with path.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise InvalidInput(
            f"cannot read {IMPORT_DATABASE} {value}: {exc.strerror}", "INVALID_IMPORT_DATABASE"
        ) from None
    if header != SQLITE_HEADER:
        raise InvalidInput(
            f"{IMPORT_DATABASE} {value} is not a SQLite database", "INVALID_IMPORT_DATABASE"
        )
    return rest, path


PATCHABLE = (
    "dry_run_wallet",
    "stake_amount",
    "max_open_trades",
    "config_overrides",
    "strategy",
    STRATEGY_VERSION,
)
# A change of only these can reach a running bot without a restart (FreqTrade's reload).
STRATEGY_FIELDS = frozenset({"strategy", STRATEGY_VERSION})


def apply_patch(spec: BotSpec, data: Any) -> BotSpec:
    """Validate a PATCH body and return the updated spec (only PATCHABLE fields)."""
    if not isinstance(data, dict) or not data:
        raise BadRequest("the body must be a non-empty JSON object")
    unknown = sorted(set(data) - set(PATCHABLE))
    if unknown:
        raise InvalidInput(
            f"cannot change {', '.join(unknown)}; patchable: {', '.join(PATCHABLE)}",
            "UNKNOWN_FIELD",
        )
    merged = spec.to_dict() | data
    return parse_bot_spec(merged)
