"""Admin-only routes."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.handlers.common import reply, services
from gateway.handlers.views import admin_user
from gateway.models.account import AdminUsersResponse
from gateway.models.pools import (
    AdminPool,
    AdminPoolBot,
    AdminPoolsResponse,
    Leader,
    ReconcilerAction,
)
from gateway.routing import Access, Route
from gateway.services.common import iso
from gateway.services.leader import Holding
from gateway.services.pools.overview import PoolView, ReconcileAction

RECENT_ACTIONS = 50


async def list_users(request: web.Request) -> web.Response:
    found = await services(request).users.list_all()
    payload: AdminUsersResponse = {
        "success": True,
        "data": [admin_user(user) for user in found],
        "count": len(found),
    }
    return reply(payload)


async def list_pools(request: web.Request) -> web.Response:
    overview = services(request).pool_overview
    pools = await overview.pools_now()
    actions = await overview.recent_actions(RECENT_ACTIONS)
    leader = await overview.leader()
    payload: AdminPoolsResponse = {
        "success": True,
        "pools": [admin_pool(view) for view in pools],
        "reconciler": {
            "actions": [reconciler_action(a) for a in actions],
            "leader": None if leader is None else leader_view(leader),
        },
    }
    return reply(payload)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def admin_pool_bot(bot: dict[str, Any]) -> AdminPoolBot:
    memory = bot.get("memory") or {}
    heartbeat = bot.get("heartbeat") or {}
    return {
        "instanceId": str(bot.get("bot_id", "")),
        "ownerId": bot.get("owner"),
        "state": str(bot.get("state", "unknown")),
        "pid": _int(bot.get("pid")),
        "port": _int(bot.get("api_port")),
        "rssBytes": _int(memory.get("rss_bytes")),
        "pssBytes": _int(memory.get("pss_bytes")),
        "cpuPercent": None,
        "restarts": _int(bot.get("restarts")) or 0,
        "stalled": bool(bot.get("stalled")),
        "heartbeatAgeS": _number(heartbeat.get("age_s")),
        "lastExit": bot.get("last_exit"),
    }


def admin_pool(view: PoolView) -> AdminPool:
    record, health = view.record, view.health
    memory = None if health is None else health.get("memory") or {}
    return {
        "id": record.id,
        "url": record.control_url,
        "status": record.status,
        "lastSeen": iso(record.last_seen),
        "capacity": record.capacity,
        "botsCount": len(view.bots) if view.error is None else record.bots_reported,
        "cpuPercent": record.cpu_percent if health is None else _number(health.get("cpu_percent")),
        "memory": None
        if memory is None
        else {"pssBytes": _int(memory.get("total_pss_bytes")), "limitBytes": None},
        "error": view.error,
        "bots": [admin_pool_bot(bot) for bot in view.bots],
    }


def reconciler_action(action: ReconcileAction) -> ReconcilerAction:
    return {
        "at": iso(action.at) or "",
        "poolId": action.pool_id,
        "botId": action.bot_id,
        "action": action.action,
        "detail": action.detail,
    }


def leader_view(holding: Holding) -> Leader:
    return {
        "replica": holding.holder,
        "since": iso(holding.acquired_at) or "",
        "term": holding.term,
    }


ROUTES = [
    Route("GET", "/api/admin/users", list_users, Access.ADMIN, "Every user (admins only)",
          AdminUsersResponse, rate_group="admin", tag="admin"),
    Route("GET", "/api/admin/pools", list_pools, Access.ADMIN,
          "Every pool with its bots as the pool reports them, the reconciler's last 50 "
          "actions and the replica leading the background loops (admins only)",
          AdminPoolsResponse, rate_group="admin", tag="admin"),
]  # fmt: skip
