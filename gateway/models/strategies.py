"""Wire models of the strategy routes: S1-S4 (contract §3.7), /ws/strategies (§4.2), admin."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired, TypedDict

from gateway.models.schema import Text

ClassName = Annotated[str, Text(min_length=1, max_length=100, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
FileName = Annotated[
    str, Text(min_length=4, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.py$")
]
Message = Annotated[str, Text(min_length=1, max_length=500)]


class StrategyItem(TypedDict):
    """S1 item; `name` is the class name, the value provisioning and S4 take."""

    name: str
    className: str
    description: str
    fileName: str


class StrategiesResponse(TypedDict):
    success: Literal[True]
    strategies: list[StrategyItem]


class EnhancedItem(TypedDict):
    """S2 item: what the strategy selector shows, from the strategy's metadata file."""

    name: str
    displayName: str
    description: str
    features: list[str]
    riskLevel: str
    recommendedFor: str
    defaultRiskTemplate: str
    timeframes: list[str]
    version: int


class EnhancedResponse(TypedDict):
    success: Literal[True]
    strategies: list[EnhancedItem]


class BotStrategy(TypedDict):
    """S3 `strategy`: what the bot runs (`current`) and what it may switch to."""

    current: str
    instanceId: str
    available: list[str]
    version: int | None
    commit: str | None


class BotStrategyResponse(TypedDict):
    success: Literal[True]
    strategy: BotStrategy


class SwitchRequest(TypedDict):
    """S4 body."""

    strategy: Annotated[str, Text(min_length=1, max_length=100)]


class SwitchedStrategy(TypedDict):
    previous: str
    current: str
    restarted: bool
    version: int | None
    applied: str | None
    rolledBack: bool


class SwitchResponse(TypedDict):
    success: Literal[True]
    message: str
    strategy: SwitchedStrategy


class StrategyChangeEvent(TypedDict):
    type: Literal["added", "removed", "edited"]
    strategy: str
    availableStrategies: list[StrategyItem]


class StrategySocketMessages(TypedDict):
    """/ws/strategies text frames: `strategies:list` on connect, then `strategies:changed`."""

    type: Literal["strategies:list", "strategies:changed"]
    strategies: NotRequired[list[StrategyItem]]
    event: NotRequired[StrategyChangeEvent]
    availableStrategies: NotRequired[list[StrategyItem]]


# -- admin -----------------------------------------------------------------------------------


class MetadataEdit(TypedDict):
    """Metadata an admin may set with an upload or edit."""

    displayName: NotRequired[Annotated[str, Text(min_length=1, max_length=100)]]
    description: NotRequired[Annotated[str, Text(max_length=5000)]]
    riskLevel: NotRequired[Literal["low", "medium", "high"]]
    timeframes: NotRequired[list[Literal["1m", "5m", "15m", "30m", "1h", "4h", "1d"]]]
    features: NotRequired[list[Annotated[str, Text(min_length=1, max_length=100)]]]
    recommendedFor: NotRequired[Annotated[str, Text(max_length=500)]]
    defaultRiskTemplate: NotRequired[Annotated[str, Text(min_length=1, max_length=100)]]


class UploadRequest(TypedDict):
    """Upload a new strategy file or a new source of one in the store (validated first)."""

    fileName: FileName
    source: NotRequired[Annotated[str, Text(min_length=1, max_length=500_000)]]
    message: Message
    metadata: NotRequired[MetadataEdit]


class ChangelogItem(TypedDict):
    version: int
    commit: str
    message: str
    author: str
    at: str


class StrategyDetail(TypedDict):
    """One strategy's metadata with its versions (commit ids from git's history)."""

    className: str
    fileName: str
    displayName: str
    description: str
    riskLevel: str
    timeframes: list[str]
    features: list[str]
    recommendedFor: str
    defaultRiskTemplate: str
    version: int
    defaultVersion: int
    changelog: list[ChangelogItem]


class UploadResponse(TypedDict):
    success: Literal[True]
    message: str
    commit: str
    strategies: list[StrategyDetail]
    reports: list[dict[str, Any]]


class AdminStrategiesResponse(TypedDict):
    success: Literal[True]
    strategies: list[StrategyDetail]


class VersionsResponse(TypedDict):
    success: Literal[True]
    strategy: str
    defaultVersion: int
    versions: list[ChangelogItem]


class VersionDetailResponse(TypedDict):
    """One version: its code, metadata and stored validation report (null when shipped)."""

    success: Literal[True]
    strategy: str
    version: ChangelogItem
    fileName: str
    source: str
    report: dict[str, Any] | None


class DiffResponse(TypedDict):
    success: Literal[True]
    strategy: str
    old: int
    new: int
    diff: str


class DeployRequest(TypedDict):
    """Deploy a version (default: the latest) to one bot, every bot on it, and/or as default."""

    version: NotRequired[int]
    botId: NotRequired[Annotated[str, Text(min_length=1, max_length=64)]]
    allBots: NotRequired[bool]
    default: NotRequired[bool]


class RollbackRequest(TypedDict):
    version: int


class BotDeploy(TypedDict):
    """What happened on one bot."""

    botId: str
    strategy: str
    version: int | None
    commit: str | None
    previousVersion: int | None
    applied: str | None
    seconds: float
    rolledBack: bool
    message: str


class DeployResponse(TypedDict):
    success: Literal[True]
    message: str
    strategy: str
    version: int
    commit: str
    defaultSet: bool
    bots: list[BotDeploy]
