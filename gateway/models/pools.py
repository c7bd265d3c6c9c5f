"""Wire models of the pool routes O1-O3 (contract §3.8) and of pool announcements."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired, TypedDict

from gateway.models.schema import Text

PoolId = Annotated[str, Text(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
ControlUrl = Annotated[str, Text(max_length=500, pattern=r"^https?://[^\s/]+(/\S*)?$")]


class PoolMetrics(TypedDict):
    """A pool's last health answer (shown only when `lastUpdated` is set)."""

    memoryUsageMB: float
    cpuPercent: float
    lastUpdated: str | None


class PoolInfo(TypedDict):
    """One pool card; `bots` lists only the caller's bots."""

    id: str
    containerName: str
    status: str
    botsCount: int
    capacity: int
    utilizationPercent: float
    bots: list[str]
    metrics: PoolMetrics


class PoolBot(TypedDict):
    """Where one of the caller's bots runs."""

    instanceId: str
    poolId: str
    slotIndex: int
    port: int | None
    status: str


class MyPoolsResponse(TypedDict):
    """O1: the pools holding the caller's bots, plus every healthy pool."""

    success: bool
    userId: str
    poolMode: bool
    totalPools: int
    totalBots: int
    maxBotsPerPool: int
    pools: list[PoolInfo]
    bots: list[PoolBot]


class HealthIssue(TypedDict):
    """Something wrong a reconcile pass found."""

    type: Literal["pool", "bot"]
    id: str
    status: str
    message: str
    poolId: NotRequired[str]


class PoolHealth(TypedDict):
    """How one pool looked in the pass."""

    id: str
    status: str
    message: str
    details: dict[str, Any]


class BotHealth(TypedDict):
    """How one bot looked in the pass."""

    id: str
    poolId: str | None
    status: str
    message: str


class RecoveryAction(TypedDict):
    """Something the pass changed."""

    action: str
    poolId: str | None
    botId: str | None
    message: str


class HealthCheckResponse(TypedDict):
    """O2: one reconcile pass over the pools holding the caller's bots."""

    success: bool
    timestamp: str
    durationMs: int
    issues: list[HealthIssue]
    pools: list[PoolHealth]
    bots: list[BotHealth]
    recoveryActions: list[RecoveryAction]


class CleanupResponse(TypedDict):
    """O3: the caller's orphaned bots removed from pools and from the database."""

    success: bool
    userId: str
    removedBots: int
    checkedBots: int
    removedFromState: list[str]
    removedFromFilesystem: list[str]
    errors: list[str]
    message: str


class AnnounceRequest(TypedDict):
    """A pool supervisor telling the gateway where its control API is."""

    poolId: PoolId
    controlUrl: ControlUrl
    hostLabel: NotRequired[Annotated[str, Text(max_length=200)]]
    capacity: NotRequired[int]


class AnnouncedPool(TypedDict):
    """The pool as the gateway now knows it."""

    id: str
    controlUrl: str
    hostLabel: str
    source: str
    status: str
    capacity: int


class AnnounceResponse(TypedDict):
    """The announcement was recorded."""

    success: bool
    pool: AnnouncedPool


# Prometheus `http_sd_configs` target group (keys with `__` are Prometheus' meta labels).
ScrapeLabels = TypedDict("ScrapeLabels", {"pool": str, "__scheme__": str, "__metrics_path__": str})


class ScrapeTargetGroup(TypedDict):
    """One pool as Prometheus' HTTP service discovery wants it."""

    targets: list[str]
    labels: ScrapeLabels


class AdminPoolBot(TypedDict):
    """One bot as its pool reports it (`GET /bots` of the pool)."""

    instanceId: str
    ownerId: str | None
    state: str
    pid: int | None
    port: int | None
    rssBytes: int | None
    pssBytes: int | None
    cpuPercent: float | None  # pools measure CPU per pool, not per bot: null
    restarts: int
    stalled: bool
    heartbeatAgeS: float | None
    lastExit: str | None


class AdminPoolMemory(TypedDict):
    pssBytes: int | None
    limitBytes: int | None


class AdminPool(TypedDict):
    id: str
    url: str
    status: str
    lastSeen: str | None
    capacity: int
    botsCount: int
    cpuPercent: float | None
    memory: AdminPoolMemory | None
    error: str | None  # why the pool did not answer now (its stored status is shown)
    bots: list[AdminPoolBot]


class ReconcilerAction(TypedDict):
    at: str
    poolId: str | None
    botId: str | None
    action: str
    detail: str


class Leader(TypedDict):
    """The gateway replica running the leader-only loops (reconciler, trade monitor, ...)."""

    replica: str
    since: str  # when this replica took the lease (the database's clock)
    term: int  # grows with every new holder


class ReconcilerLog(TypedDict):
    actions: list[ReconcilerAction]
    leader: Leader | None  # null while no replica holds the lease (take-over in progress)


class AdminPoolsResponse(TypedDict):
    success: Literal[True]
    pools: list[AdminPool]
    reconciler: ReconcilerLog
