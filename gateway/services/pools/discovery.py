"""Prometheus HTTP service discovery of the pools (`http_sd_configs`).

One target group per pool the directory knows (from settings and announcements), whatever
its health: an unreachable pool stays a target, so Prometheus records `up == 0` for it.
Shape (https://prometheus.io/docs/prometheus/latest/http_sd/):
`[{"targets": ["host:port"], "labels": {"pool": "<id>", "__scheme__": "http",
"__metrics_path__": "/metrics"}}]`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from gateway.services.pools.directory import PoolRecord

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class ScrapeTarget:
    """Where Prometheus scrapes one pool's `/metrics`."""

    pool_id: str
    address: str  # host:port
    scheme: str
    metrics_path: str


def scrape_target(pool_id: str, control_url: str) -> ScrapeTarget:
    """The pool's control API address; a path prefix of its URL is kept before /metrics."""
    parts = urlsplit(control_url)
    scheme = parts.scheme or "http"
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    port = parts.port or _DEFAULT_PORTS.get(scheme, 80)
    return ScrapeTarget(pool_id, f"{host}:{port}", scheme, parts.path.rstrip("/") + "/metrics")


def scrape_targets(records: Iterable[PoolRecord]) -> list[ScrapeTarget]:
    return [scrape_target(r.id, r.control_url) for r in records]
