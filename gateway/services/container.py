"""All services of one gateway, wired together from settings, database and token verifier."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.auth.identity import Authenticator, IdTokenVerifier
from gateway.auth.passwords import PasswordHasher
from gateway.auth.tokens import TokenIssuer
from gateway.db.database import Database
from gateway.mail import LogMailer, Mailer, SmtpMailer
from gateway.services.accounts.account import AccountService
from gateway.services.accounts.audit import AuditLog
from gateway.services.accounts.auth import AuthService
from gateway.services.accounts.notifications import NotificationStore
from gateway.services.accounts.sessions import SessionStore
from gateway.services.accounts.throttle import LoginThrottle
from gateway.services.accounts.users import UserStore
from gateway.services.common import Clock, utcnow
from gateway.services.dashboard.live import BotApiSource
from gateway.services.dashboard.portfolio import HoldingsSource, PortfolioService
from gateway.services.dashboard.published import SummarySource
from gateway.services.dashboard.snapshots import SnapshotStore
from gateway.services.leader import BACKGROUND_LEASE, Lease, default_replica_id
from gateway.services.money.funding import FundingService
from gateway.services.money.money import to_cents
from gateway.services.money.wallet import WalletService
from gateway.services.platform_state import PlatformState
from gateway.services.pools.directory import PoolDirectory
from gateway.services.pools.overview import PoolOverview
from gateway.services.pools.reconciler import Reconciler
from gateway.services.recorder import UNRECORDED, Recorder
from gateway.services.risk.emergency import EmergencyWatch
from gateway.services.risk.marketdata import PriceHistory
from gateway.services.risk.monitor import TradeMonitor
from gateway.services.risk.settings import RiskSettingsService
from gateway.services.strategies.catalogue import StrategyCatalogue
from gateway.services.strategies.defaults import StrategyDefaults
from gateway.services.strategies.deploy import StrategyDeployer
from gateway.services.strategies.service import StrategyService
from gateway.services.strategies.store import StrategyStore
from gateway.services.strategies.validation import Validator
from gateway.services.strategies.watch import StrategyWatch
from gateway.services.trading.botapi import BotApiClient
from gateway.services.trading.botlogs import BotLogs
from gateway.services.trading.bots import BotService
from gateway.services.trading.botstore import BotStore
from gateway.services.trading.markets import MarketCatalogue
from gateway.services.trading.trades import TradeHistory
from gateway.settings import Settings
from gateway.sse import StreamHub
from observability.analytics import Analytics
from runtime.strategycheck import Limits


@dataclass(frozen=True)
class Services:
    """The HTTP-free core the handlers call into."""

    users: UserStore
    sessions: SessionStore
    notifications: NotificationStore
    audit: AuditLog
    tokens: TokenIssuer
    passwords: PasswordHasher
    authenticator: Authenticator
    auth: AuthService
    account: AccountService
    wallet: WalletService
    bot_store: BotStore
    bot_api: BotApiClient
    pools: PoolDirectory
    pool_overview: PoolOverview
    risk: RiskSettingsService
    bots: BotService
    bot_logs: BotLogs
    funding: FundingService
    reconciler: Reconciler
    monitor: TradeMonitor
    portfolio: PortfolioService
    snapshots: SnapshotStore
    trades: TradeHistory
    stream: StreamHub
    prices: PriceHistory | None
    markets: MarketCatalogue
    strategies: StrategyService
    platform: PlatformState
    lease: Lease  # of the leader-only background loops (gateway/background.py)

    async def close(self) -> None:
        """Release what holds sockets: SSE hub, pool clients, bot API and market sessions."""
        await self.stream.close()
        self.strategies.watch.close()
        await self.pools.close()
        await self.bot_api.close()
        if self.prices is not None:
            await self.prices.close()


def build_mailer(settings: Settings) -> Mailer:
    if not settings.smtp_host:
        return LogMailer()
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        sender=settings.smtp_from,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value(),
        starttls=settings.smtp_starttls,
    )


def build_services(
    settings: Settings,
    db: Database,
    firebase: IdTokenVerifier,
    clock: Clock = utcnow,
    analytics: Analytics | None = None,
    *,
    recorder: Recorder = UNRECORDED,
) -> Services:
    users = UserStore(db, clock, recent_ttl=settings.recent_read_ttl, analytics=analytics)
    sessions = SessionStore(
        db,
        ttl_seconds=settings.refresh_token_ttl_seconds,
        reuse_grace_seconds=settings.refresh_reuse_grace_seconds,
        clock=clock,
    )
    audit = AuditLog(db, clock)
    tokens = TokenIssuer(
        settings.jwt_secret.get_secret_value(), settings.access_token_ttl_seconds, clock
    )
    passwords = PasswordHasher(settings.bcrypt_rounds)
    authenticator = Authenticator(tokens, firebase, users)
    throttle = LoginThrottle(
        audit,
        per_account=settings.login_max_failures_per_account,
        per_ip=settings.login_max_failures_per_ip,
        window_seconds=settings.login_failure_window_seconds,
    )
    auth = AuthService(
        users=users,
        sessions=sessions,
        passwords=passwords,
        tokens=tokens,
        authenticator=authenticator,
        audit=audit,
        throttle=throttle,
    )
    account = AccountService(
        db=db,
        users=users,
        sessions=sessions,
        passwords=passwords,
        audit=audit,
        mailer=build_mailer(settings),
        app_url=settings.app_url,
        clock=clock,
    )
    trading = build_trading(settings, db, clock, analytics, recorder)
    return Services(
        users=users,
        sessions=sessions,
        notifications=NotificationStore(db, clock),
        audit=audit,
        tokens=tokens,
        passwords=passwords,
        authenticator=authenticator,
        auth=auth,
        account=account,
        platform=PlatformState(db, clock),
        **trading,
    )


def holdings_source(
    settings: Settings, pools: PoolDirectory, bot_api: BotApiClient
) -> HoldingsSource:
    """Where portfolio reads get bots' holdings (`portfolio_source`)."""
    if settings.portfolio_source == "bots":
        return BotApiSource(
            bot_api, timeout=settings.bot_timeout, concurrency=settings.bot_concurrency
        )
    return SummarySource(
        pools, timeout=settings.pool_read_timeout, max_age=settings.summary_max_age
    )


def build_trading(
    settings: Settings,
    db: Database,
    clock: Clock,
    analytics: Analytics | None = None,
    recorder: Recorder = UNRECORDED,
) -> dict[str, Any]:
    """The wallet, bots, pools, portfolio and streaming services (product events to
    `analytics`; none without it, as in the command-line tools)."""
    wallet = WalletService(
        db,
        clock,
        starting_balance_cents=to_cents(settings.starting_balance),
        max_wallet_cents=to_cents(settings.max_wallet_size),
        analytics=analytics,
    )
    bot_store = BotStore(db, clock, recent_ttl=settings.recent_read_ttl)
    bot_api = BotApiClient(
        pool_token=settings.pool_token.get_secret_value(), timeout=settings.bot_timeout
    )
    pools = PoolDirectory(
        db,
        clock,
        token=settings.pool_token.get_secret_value(),
        timeout=settings.pool_timeout,
        configured=settings.pool_entries(),
    )
    strategies = build_strategies(settings, db, clock, bot_store, pools, bot_api, analytics)
    risk = RiskSettingsService(
        db, clock, bots=bot_store, pools=pools, api=bot_api, catalogue=strategies.catalogue
    )
    bots = BotService(
        store=bot_store,
        catalogue=strategies.catalogue,
        deployer=strategies.deployer,
        wallet=wallet,
        pools=pools,
        api=bot_api,
        risk=risk,
        clock=clock,
        max_bots_per_user=settings.max_bots_per_user,
        analytics=analytics,
    )
    reconciler = Reconciler(
        db, clock, pools=pools, bots=bot_store, spec_for=bots.spec_for, recorder=recorder
    )
    portfolio = PortfolioService(
        bots=bot_store, source=holdings_source(settings, pools, bot_api), wallet=wallet, clock=clock
    )
    stream = StreamHub(
        portfolio,
        clock,
        interval=settings.stream_interval,
        ping_interval=settings.stream_ping_interval,
    )
    snapshots = SnapshotStore(
        db,
        clock,
        portfolio=portfolio,
        bot_store=bot_store,
        interval=settings.snapshot_interval,
        recent=stream.latest,
    )
    prices = PriceHistory(settings.market_url) if settings.market_url else None
    replica = settings.replica_id or default_replica_id()
    lease = Lease(db, BACKGROUND_LEASE, replica, settings.leader_lease_ttl)
    return {
        "wallet": wallet,
        "bot_store": bot_store,
        "bot_api": bot_api,
        "pools": pools,
        "risk": risk,
        "bots": bots,
        "bot_logs": BotLogs(bot_store, pools),
        "pool_overview": PoolOverview(db, pools, timeout=settings.pool_read_timeout, lease=lease),
        "funding": FundingService(wallet=wallet, store=bot_store, pools=pools, api=bot_api),
        "reconciler": reconciler,
        "monitor": TradeMonitor(
            bots=bot_store,
            risk=risk,
            api=bot_api,
            clock=clock,
            interval=settings.trade_monitor_interval,
            timeout=settings.bot_timeout,
            concurrency=settings.bot_concurrency,
            recorder=recorder,
            emergency=EmergencyWatch(
                snapshots=snapshots, prices=prices, snapshot_interval=settings.snapshot_interval
            ),
            analytics=analytics,
        ),
        "portfolio": portfolio,
        "snapshots": snapshots,
        "stream": stream,
        "trades": TradeHistory(db),
        "prices": prices,
        "markets": MarketCatalogue(settings.market_url),
        "strategies": strategies,
        "lease": lease,
    }


def build_strategies(
    settings: Settings,
    db: Database,
    clock: Clock,
    bot_store: BotStore,
    pools: PoolDirectory,
    bot_api: BotApiClient,
    analytics: Analytics | None = None,
) -> StrategyService:
    """The strategy store on its repository, validated against the sandbox market."""
    limits = Limits(
        cpu_seconds=settings.strategy_check_cpu_seconds,
        memory_mb=settings.strategy_check_memory_mb,
        wall_seconds=settings.strategy_check_wall_seconds,
    )
    store = StrategyStore(
        Path(settings.strategy_repo), Validator(settings.market_url, limits), clock
    )
    return StrategyService(
        store=store,
        catalogue=StrategyCatalogue(store),
        deployer=StrategyDeployer(
            store=store,
            defaults=StrategyDefaults(db, clock),
            bots=bot_store,
            pools=pools,
            api=bot_api,
            deadline=settings.strategy_deploy_deadline,
            analytics=analytics,
        ),
        watch=StrategyWatch(store),
        bots=bot_store,
    )
