"""The gateway's Prometheus metrics, in a registry owned by one app (tests make many).

Counters are incremented where the event happens: the observe middleware (requests), the
error middleware (auth failures, rate-limit rejections: every 401/403/429 passes there) and
the background services through the `Recorder` interface (reconciler, trade monitor).
Gauges of things the database or the hubs hold (wallet sums, pool health, sync lag, SSE and
WebSocket clients) are set from a `Scrape` when `/metrics` is rendered. docs/metrics.md lists
every metric with its type and labels; every label takes values of a fixed, small set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from gateway.errors import ApiError, Forbidden, NotAuthenticated, RateLimited
from gateway.services.platform_state import PlatformReading
from gateway.services.recorder import PAUSE_REASONS, RECONCILER_ACTIONS

AUTH_FAILURE_REASONS: Final = ("missing", "invalid", "expired", "forbidden")
# `RateLimited.limit` values: the route groups' limits and the login throttle's two scopes.
RATE_LIMITS: Final = ("auth", "account", "admin", "default", "login_account", "login_ip")
_MISSING_CODES = frozenset({"NO_TOKEN", "NO_REFRESH_TOKEN"})
_EXPIRED_CODES = frozenset({"TOKEN_EXPIRED", "REFRESH_TOKEN_EXPIRED"})


def auth_failure_reason(exc: ApiError) -> str | None:
    """The `cryptopilot_auth_failures_total` reason of an error; None for other errors."""
    if isinstance(exc, Forbidden):
        return "forbidden"
    if not isinstance(exc, NotAuthenticated):
        return None
    if exc.code in _MISSING_CODES:
        return "missing"
    if exc.code in _EXPIRED_CODES:
        return "expired"
    return "invalid"


@dataclass(frozen=True)
class Scrape:
    """The values of the scrape-time gauges; `platform` None when the database did not answer."""

    sse_clients: int
    websocket_clients: Mapping[str, int] = field(default_factory=dict)
    platform: PlatformReading | None = None


class GatewayMetrics:
    """Every gateway metric of docs/metrics.md; also the services' `Recorder`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "cryptopilot_http_requests_total",
            "HTTP requests handled",
            ("method", "route", "status"),
            registry=r,
        )
        self.latency = Histogram(
            "cryptopilot_http_request_duration_seconds",
            "Time to produce the response",
            ("method", "route"),
            registry=r,
        )
        self.sse_clients = Gauge("cryptopilot_sse_clients", "Open SSE streams", registry=r)
        self.websocket_clients = Gauge(
            "cryptopilot_websocket_clients", "Open WebSocket connections", ("route",), registry=r
        )
        self.auth_failures = Counter(
            "cryptopilot_auth_failures_total",
            "Requests refused for a missing, invalid or expired credential or a missing role",
            ("reason",),
            registry=r,
        )
        self.rate_limit_rejections = Counter(
            "cryptopilot_rate_limit_rejections_total",
            "Requests answered 429, by the limit that refused them",
            ("limit",),
            registry=r,
        )
        self.ratelimit_backend_errors = Counter(
            "cryptopilot_ratelimit_backend_errors_total",
            "Rate-limit hits Redis did not answer (counted in this process's memory instead)",
            registry=r,
        )
        self.wallet_funds = Gauge(
            "cryptopilot_wallet_funds",
            "Paper money of all users in USD: free (in wallets) or allocated to bots",
            ("kind",),
            registry=r,
        )
        self.pool_up = Gauge(
            "cryptopilot_gateway_pool_up",
            "1 when the pool answered the gateway's last health check, else 0",
            ("pool",),
            registry=r,
        )
        self.pool_last_seen = Gauge(
            "cryptopilot_gateway_pool_last_seen_seconds",
            "Seconds since the pool's last good health answer",
            ("pool",),
            registry=r,
        )
        self.reconciler_actions = Counter(
            "cryptopilot_reconciler_actions_total",
            "Repairs and newly found problems of the reconciler",
            ("action",),
            registry=r,
        )
        self.pauses = Counter(
            "cryptopilot_trade_monitor_pauses_total",
            "Bots paused by the trade monitor",
            ("reason",),
            registry=r,
        )
        self.emergency_stops = Counter(
            "cryptopilot_trade_monitor_emergency_stops_total",
            "Bots paused by an emergency stop (BTC crash or portfolio drop)",
            registry=r,
        )
        self.sync_lag = Gauge(
            "cryptopilot_sync_lag_seconds",
            "Seconds since the pool's last trade sync as recorded in the database",
            ("pool",),
            registry=r,
        )
        self.leader = Gauge(
            "cryptopilot_gateway_leader",
            "1 while this replica holds the lease of the leader-only background loops, else 0",
            ("replica",),
            registry=r,
        )
        # Known label values start at 0, so rate() and increase() see the first event.
        for values, counter in (
            (AUTH_FAILURE_REASONS, self.auth_failures),
            (RATE_LIMITS, self.rate_limit_rejections),
            (RECONCILER_ACTIONS, self.reconciler_actions),
            (PAUSE_REASONS, self.pauses),
        ):
            for value in values:
                counter.labels(value)

    # -- the HTTP layer ---------------------------------------------------------------------------

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def refused(self, exc: ApiError) -> None:
        """Count an error answer that is an auth failure or a rate-limit rejection."""
        reason = auth_failure_reason(exc)
        if reason is not None:
            self.auth_failures.labels(reason).inc()
        elif isinstance(exc, RateLimited):
            self.rate_limit_rejections.labels(exc.limit).inc()

    def ratelimit_backend_error(self) -> None:
        """A rate-limit hit Redis did not answer (gateway/ratelimit_redis.py)."""
        self.ratelimit_backend_errors.inc()

    # -- Recorder (gateway/services/recorder.py) ---------------------------------------------------

    def reconciler_action(self, action: str) -> None:
        self.reconciler_actions.labels(action).inc()

    def trade_monitor_pause(self, reason: str) -> None:
        self.pauses.labels(reason).inc()

    def trade_monitor_emergency_stop(self) -> None:
        self.emergency_stops.inc()

    def leadership(self, replica: str, leading: bool) -> None:
        """This replica gained (True) or lost the lease of the leader-only loops."""
        self.leader.labels(replica).set(1 if leading else 0)

    # -- exposition -------------------------------------------------------------------------------

    def render(self, scrape: Scrape) -> bytes:
        """The text exposition, with the scrape-time gauges set from `scrape` first."""
        self.sse_clients.set(scrape.sse_clients)
        self.websocket_clients.clear()
        for route, count in scrape.websocket_clients.items():
            self.websocket_clients.labels(route).set(count)
        for gauge in (self.wallet_funds, self.pool_up, self.pool_last_seen, self.sync_lag):
            gauge.clear()
        platform = scrape.platform
        if platform is not None:
            self.wallet_funds.labels("free").set(platform.free_cents / 100)
            self.wallet_funds.labels("allocated").set(platform.allocated_cents / 100)
            for pool_id, seen in platform.pools.items():
                self.pool_up.labels(pool_id).set(1 if seen.up else 0)
                if seen.last_seen_seconds is not None:
                    self.pool_last_seen.labels(pool_id).set(seen.last_seen_seconds)
            for pool_id, lag in platform.sync_lag_seconds.items():
                self.sync_lag.labels(pool_id).set(lag)
        return generate_latest(self.registry)
