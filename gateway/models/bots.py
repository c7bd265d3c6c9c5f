"""Wire models of the bot routes B1-B5 (contract §3.6)."""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired, TypedDict

from gateway.models.schema import Text

BotId = Annotated[
    str,
    Text(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        description="Letters, digits, '_', '.', '-'; unique on the platform",
    ),
]
Pair = Annotated[str, Text(min_length=3, max_length=41, pattern=r"^[A-Za-z0-9]+/[A-Za-z0-9]+$")]
ContainerStatus = Literal["running", "stopped", "error", "unknown"]


class ProvisionRequest(TypedDict):
    """B2 body: everything the provisioning page sends."""

    instanceId: BotId
    strategy: Annotated[str, Text(min_length=1, max_length=100)]
    exchange: Literal["kraken", "binance", "coinbase"]
    stake_currency: Literal["USD", "USDT", "EUR"]
    stake_amount: float
    max_open_trades: int
    dry_run: bool
    tradingPairs: list[Pair]
    initialBalance: NotRequired[float]
    timeframe: Literal["1m", "5m", "15m", "30m", "1h", "4h", "1d"]


class WalletChange(TypedDict):
    """B2 `wallet`: the money moved into the bot."""

    previousBalance: float
    newBalance: float
    allocated: float


class ProvisionResponse(TypedDict):
    """B2 answer (the old orchestrator's fields; the bot's API credentials never appear)."""

    success: Literal[True]
    message: str
    instanceId: str
    port: int | None
    containerName: str
    strategy: str
    isPooled: bool
    poolId: str
    wallet: WalletChange


class BotInfo(TypedDict):
    """One B1 entry."""

    instanceId: str
    userId: str
    strategy: str
    port: int | None
    exchange: str
    stake_currency: str
    # A number, or "unlimited" for a bot adopted with FreqTrade's unlimited stake.
    stake_amount: float | Literal["unlimited"]
    max_open_trades: int
    timeframe: str
    tradingPairs: list[str]
    dry_run: bool
    containerStatus: ContainerStatus
    state: str
    isPooled: bool
    poolId: str | None
    containerName: str
    createdAt: str | None
    # The strategy store version the bot runs (null: the pool's shipped strategies/).
    strategyVersion: int | None
    strategyCommit: str | None
    # How often the pool restarted the bot after it exited (0 until a pool reports a count).
    restarts: int


class BotsResponse(TypedDict):
    """B1 answer."""

    success: Literal[True]
    bots: list[BotInfo]


class CashedOut(TypedDict):
    amount: float
    currency: str


class DeleteWallet(TypedDict):
    previousBalance: float
    newBalance: float
    returned: float
    pnl: float


class DeleteResponse(TypedDict):
    """B5 answer."""

    success: Literal[True]
    message: str
    cashedOut: CashedOut
    wallet: DeleteWallet
    warnings: NotRequired[list[str]]


LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class BotLogLine(TypedDict):
    """One record of a bot's FreqTrade log (a traceback stays with its record)."""

    ts: str | None
    level: LogLevel
    logger: str | None
    message: str


class BotLogsResponse(TypedDict):
    """B8: the last `lines` records at or above `level` of the bot's log, oldest first."""

    success: bool
    instanceId: str
    logs: list[BotLogLine]
    lines: int
    level: LogLevel


class MarketsResponse(TypedDict):
    """GET /api/freqtrade/markets: the spot pairs of one quote the exchange lists."""

    success: bool
    quote: str
    pairs: list[str]
