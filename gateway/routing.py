"""The route table: every route with the access it needs, its rate-limit group and its models.

Handlers modules export `ROUTES: list[Route]`; `create_app` registers them, the middlewares
look up the `Route` of each request here, and `gateway.openapi` documents them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aiohttp import web
from aiohttp.web_urldispatcher import AbstractRoute

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class QueryParam:
    """One optional `?name=` parameter of a route, for the OpenAPI document."""

    name: str
    schema: Mapping[str, Any]
    description: str


class Access(StrEnum):
    """Who may call a route."""

    PUBLIC = "public"
    USER = "user"
    ADMIN = "admin"
    # `/metrics`: `Bearer <CRYPTOPILOT_METRICS_TOKEN>` when that token is set, anyone otherwise.
    SCRAPE = "scrape"
    # Prometheus' service discovery: the metrics token, or an admin's token.
    MONITORING = "monitoring"


@dataclass(frozen=True)
class Route:
    """One HTTP route and everything the middlewares and the OpenAPI document need to know."""

    method: str
    path: str
    handler: Handler
    access: Access
    summary: str
    response: Any = None
    request: Any = None
    status: int = 200
    # Rate-limit group (a `rate_limit_<group>` setting) or None for never limited.
    rate_group: str | None = "default"
    # Accept `?token=` as well as the Authorization header (SSE and WebSocket routes).
    query_token: bool = False
    # Merged into every error body of this route (verify-token adds `valid: false`).
    error_fields: Mapping[str, object] = field(default_factory=dict)
    content_type: str = "application/json"
    tag: str = "misc"
    query: tuple[QueryParam, ...] = ()


ROUTE_TABLE = web.AppKey("route_table", dict[AbstractRoute, Route])


def register(app: web.Application, routes: Iterable[Route]) -> None:
    """Add routes to the app and remember their `Route` for the middlewares."""
    table = app.setdefault(ROUTE_TABLE, {})
    for route in routes:
        registered = app.router.add_route(route.method, route.path, route.handler)
        table[registered] = route


def route_of(request: web.Request) -> Route | None:
    """The `Route` that matched this request, or None (404/405, static)."""
    matched = request.match_info.route
    return request.app[ROUTE_TABLE].get(matched)


def all_routes(app: web.Application) -> list[Route]:
    return list(app[ROUTE_TABLE].values())
