"""Wire models of the wallet routes W1-W7 (contract §3.4); amounts are JSON numbers in USD."""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired, TypedDict

from gateway.models.schema import Text

TransactionType = Literal["deposit", "withdraw", "allocate", "deallocate", "profit", "loss"]
Description = Annotated[str, Text(max_length=200)]
BotId = Annotated[str, Text(min_length=1, max_length=128)]


class BotAllocation(TypedDict):
    """Money lent to one bot and what the bot holds now."""

    allocatedAmount: float
    currentValue: float
    reservedInTrades: float
    availableBalance: float
    lifetimePnL: float
    allocatedAt: str
    botName: str


class WalletTransaction(TypedDict):
    """One ledger row; `withdraw`, `loss` and `allocate` lower the balance."""

    type: TransactionType
    amount: float
    botId: NotRequired[str]
    botName: NotRequired[str]
    description: str
    balanceAfter: float
    timestamp: str


class WalletData(TypedDict):
    """W1 `data`: balance, allocations per bot id, the 20 newest ledger rows and totals."""

    balance: float
    currency: str
    lastUpdated: str
    totalAllocated: float
    totalCurrentValue: float
    totalPortfolioValue: float
    unrealizedPnL: float
    botAllocations: dict[str, BotAllocation]
    recentTransactions: list[WalletTransaction]


class WalletResponse(TypedDict):
    """W1 success."""

    success: bool
    data: WalletData


class SetBalanceRequest(TypedDict):
    """W2 body: the new balance (0 … 1,000,000)."""

    amount: float


class AmountRequest(TypedDict):
    """W3/W4 body; `description` defaults to "Manual deposit" / "Manual withdrawal"."""

    amount: float
    description: NotRequired[Description]


class WalletMoveData(TypedDict):
    """W2-W4 `data`: the new balance and the ledger row booked."""

    balance: float
    transaction: WalletTransaction


class WalletMoveResponse(TypedDict):
    """W2-W4 success."""

    success: bool
    message: str
    data: WalletMoveData


class AddToBotRequest(TypedDict):
    """W5 body."""

    botId: BotId
    amount: float


class AddToBotData(TypedDict):
    """W5 `data`."""

    walletBalance: float
    addedAmount: float
    allocation: BotAllocation
    transaction: WalletTransaction


class AddToBotResponse(TypedDict):
    """W5 success."""

    success: bool
    message: str
    data: AddToBotData


class ReturnFromBotRequest(TypedDict):
    """W6 body; without `returnAmount` everything the bot holds comes back."""

    botId: BotId
    returnAmount: NotRequired[float]


class ReturnFromBotData(TypedDict):
    """W6 `data`: `remainingAllocation` is the allocated amount left with the bot."""

    walletBalance: float
    returnedAmount: float
    pnl: float
    isFullReturn: bool
    remainingAllocation: float
    transaction: WalletTransaction


class ReturnFromBotResponse(TypedDict):
    """W6 success."""

    success: bool
    message: str
    data: ReturnFromBotData


class SyncWalletData(TypedDict):
    """W7 `data`: allocations kept and the bots whose allocation was returned."""

    runningBots: int
    validAllocations: int
    cleanedBots: list[str]
    totalReturned: float
    newWalletBalance: float


class SyncWalletResponse(TypedDict):
    """W7 success."""

    success: bool
    message: str
    data: SyncWalletData


class LedgerTransaction(WalletTransaction):
    """A W8 ledger row: a `recentTransactions` entry plus its stable `id`."""

    id: str


class TransactionsData(TypedDict):
    """W8 `data`: one page of the ledger, newest first; `total` counts every row."""

    transactions: list[LedgerTransaction]
    total: int
    limit: int
    offset: int


class TransactionsResponse(TypedDict):
    """W8 success."""

    success: bool
    data: TransactionsData
