"""Wire models of the risk settings and feature routes R1-R8 (contract §3.9)."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict


class RiskDefaults(TypedDict):
    """The settings a bot without saved settings has."""

    enabled: bool
    riskLevel: float
    autoRebalance: bool
    dcaEnabled: bool


class RiskSettings(TypedDict):
    """One bot's risk settings; the timestamps are null until the first save."""

    enabled: bool
    riskLevel: float
    autoRebalance: bool
    dcaEnabled: bool
    createdAt: str | None
    updatedAt: str | None


class RiskSettingsUpdate(TypedDict):
    """R2 body: any subset; an absent `enabled` switches the bot on (old gateway quirk)."""

    enabled: NotRequired[bool]
    riskLevel: NotRequired[float]
    autoRebalance: NotRequired[bool]
    dcaEnabled: NotRequired[bool]


class BotRiskEntry(TypedDict):
    """One bot in R1."""

    instanceId: str
    poolId: str | None
    settings: RiskSettings
    defaults: RiskDefaults
    isRunning: bool
    isNewBot: bool
    lastUpdated: str | None


class RiskOverviewResponse(TypedDict):
    """R1 success."""

    success: bool
    bots: list[BotRiskEntry]
    defaults: RiskDefaults
    totalBots: int
    runningBots: int
    message: str


class RiskSettingsResponse(TypedDict):
    """R2 success."""

    success: bool
    settings: RiskSettings
    message: str


class RiskSettingsDetailResponse(TypedDict):
    """R3 success."""

    success: bool
    settings: RiskSettings
    defaults: RiskDefaults
    isNewBot: bool
    message: str


class TakeProfitLevel(TypedDict):
    """Exit `exitPercent` % of the position at `percentage` % profit."""

    percentage: float
    exitPercent: float


class TakeProfitLevels(TypedDict):
    """Take-profit targets: `single` closes at the first, `ladder` sells part at each level."""

    enabled: bool
    mode: Literal["ladder", "single"]
    levels: list[TakeProfitLevel]


class TrailingStop(TypedDict):
    """Trailing stop; FreqTrade applies it as its `trailing_*` keys."""

    enabled: bool
    activationPercent: float
    callbackRate: float
    lockInProfit: bool
    stepSize: float


class DailyLossProtection(TypedDict):
    """Pause after a daily loss (stored only)."""

    enabled: bool
    maxDailyLossPercent: float
    pauseUntil: Literal["nextDay", "manual"]
    closePositions: bool
    notifyUser: bool


class ActiveHours(TypedDict):
    """HH:MM window."""

    start: str
    end: str


class TradingSchedule(TypedDict):
    """When the bot may trade (stored only)."""

    enabled: bool
    activeHours: ActiveHours
    activeDays: list[Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]]
    timezone: str
    holidayMode: bool


class PositionLimits(TypedDict):
    """Per-asset exposure limits (stored only)."""

    enabled: bool
    maxPercentPerAsset: float
    maxPositionsPerAsset: int
    maxCorrelatedPositions: int
    minTimeBetweenSameAsset: int


class VolatilityAdjustment(TypedDict):
    """Position sizing by volatility (stored only)."""

    enabled: bool
    method: Literal["ATR", "stdDev", "bollingerWidth"]
    minSizeMultiplier: float
    maxSizeMultiplier: float
    lookbackPeriod: int
    scaleFactor: float


class EmergencyTriggers(TypedDict):
    """Market drops that trigger an emergency stop."""

    btcDropPercent: float
    portfolioDropPercent: float
    btcDropTimeframe: int


class EmergencyActions(TypedDict):
    """What an emergency stop does."""

    closeAllPositions: bool
    pauseDurationHours: float
    notifyUser: bool


class EmergencyStop(TypedDict):
    """Emergency stop (stored only)."""

    enabled: bool
    triggers: EmergencyTriggers
    actions: EmergencyActions


class IcebergOrders(TypedDict):
    """Split large orders."""

    enabled: bool
    visiblePercent: float


class OrderExecution(TypedDict):
    """Order placement preferences (stored only)."""

    enabled: bool
    useLimit: bool
    limitOffsetPercent: float
    postOnly: bool
    timeInForce: Literal["GTC", "IOC", "FOK", "PO"]
    icebergOrders: IcebergOrders


class Compounding(TypedDict):
    """Profit reinvestment (stored only)."""

    enabled: bool
    reinvestPercent: float
    withdrawalThreshold: float
    compoundFrequency: Literal["daily", "weekly", "monthly"]


class FeaturesMeta(TypedDict):
    """Set by the server on every save."""

    version: str
    createdAt: str | None
    updatedAt: str | None


class Features(TypedDict):
    """A bot's feature object; unknown keys the client sent are kept and returned."""

    takeProfitLevels: TakeProfitLevels
    trailingStop: TrailingStop
    dailyLossProtection: DailyLossProtection
    tradingSchedule: TradingSchedule
    positionLimits: PositionLimits
    volatilityAdjustment: VolatilityAdjustment
    emergencyStop: EmergencyStop
    orderExecution: OrderExecution
    compounding: Compounding
    _meta: FeaturesMeta


class FeaturesUpdate(TypedDict):
    """R5 body: the (merged) feature object; missing parts take the defaults."""

    takeProfitLevels: NotRequired[dict[str, Any]]
    trailingStop: NotRequired[dict[str, Any]]
    dailyLossProtection: NotRequired[dict[str, Any]]
    tradingSchedule: NotRequired[dict[str, Any]]
    positionLimits: NotRequired[dict[str, Any]]
    volatilityAdjustment: NotRequired[dict[str, Any]]
    emergencyStop: NotRequired[dict[str, Any]]
    orderExecution: NotRequired[dict[str, Any]]
    compounding: NotRequired[dict[str, Any]]
    _meta: NotRequired[Any]


class FeaturesResponse(TypedDict):
    """R4/R5 success."""

    success: bool
    data: Features
    summary: dict[str, bool]
    instanceId: str
    message: str


class FeaturesResetResponse(TypedDict):
    """R6 success."""

    success: bool
    data: Features
    message: str


class ResumeData(TypedDict):
    """R7 `data`."""

    success: bool


class ResumeResponse(TypedDict):
    """R7 success."""

    success: bool
    data: ResumeData
    message: str


class MonitorStatus(TypedDict):
    """R8 `data`."""

    running: bool
    botCount: int


class MonitorStatusResponse(TypedDict):
    """R8 success."""

    success: bool
    data: MonitorStatus
