"""O1-O3: the caller's pools, an on-demand reconcile and clean-up; pool announcements."""

from __future__ import annotations

from aiohttp import web

from gateway.errors import NotAuthenticated
from gateway.handlers.common import principal, read_body, reply, services
from gateway.middleware.auth import token_from
from gateway.models.pools import (
    AnnounceRequest,
    AnnounceResponse,
    BotHealth,
    CleanupResponse,
    HealthCheckResponse,
    HealthIssue,
    MyPoolsResponse,
    PoolBot,
    PoolHealth,
    PoolInfo,
    RecoveryAction,
)
from gateway.routing import Access, Route
from gateway.services.common import iso
from gateway.services.pools.directory import PlacedBot, PoolUsage
from gateway.services.pools.reconciler import BotCheck, Issue, PoolCheck, ReconcileReport


def container_name(pool_id: str) -> str:
    return f"cryptopilot-pool-{pool_id}"


def pool_info(usage: PoolUsage) -> PoolInfo:
    pool = usage.pool
    percent = round(100 * usage.load / pool.capacity, 1) if pool.capacity > 0 else 0.0
    return {
        "id": pool.id,
        "containerName": container_name(pool.id),
        "status": pool.status,
        "botsCount": usage.load,
        "capacity": pool.capacity,
        "utilizationPercent": min(percent, 100.0),
        "bots": usage.my_bots,
        "metrics": {
            "memoryUsageMB": pool.memory_mb or 0.0,
            "cpuPercent": pool.cpu_percent or 0.0,
            "lastUpdated": iso(pool.last_seen),
        },
    }


def pool_bot(bot: PlacedBot) -> PoolBot:
    return {
        "instanceId": bot.bot_id,
        "poolId": bot.pool_id,
        "slotIndex": bot.slot_index,
        "port": bot.port,
        "status": bot.observed_state,
    }


def issue(found: Issue) -> HealthIssue:
    out: HealthIssue = {
        "type": found.type,
        "id": found.id,
        "status": found.status,
        "message": found.message,
    }
    if found.pool_id is not None:
        out["poolId"] = found.pool_id
    return out


def pool_health(check: PoolCheck) -> PoolHealth:
    return {
        "id": check.id,
        "status": check.status,
        "message": check.message,
        "details": check.details,
    }


def bot_health(check: BotCheck) -> BotHealth:
    return {
        "id": check.id,
        "poolId": check.pool_id,
        "status": check.status,
        "message": check.message,
    }


def health_check(report: ReconcileReport) -> HealthCheckResponse:
    actions: list[RecoveryAction] = [
        {"action": a.action, "poolId": a.pool_id, "botId": a.bot_id, "message": a.message}
        for a in report.actions
    ]
    return {
        "success": True,
        "timestamp": iso(report.timestamp) or "",
        "durationMs": report.duration_ms,
        "issues": [issue(i) for i in report.issues],
        "pools": [pool_health(p) for p in report.pools],
        "bots": [bot_health(b) for b in report.bots],
        "recoveryActions": actions,
    }


async def my_pools(request: web.Request) -> web.Response:
    user_id = principal(request).user_id
    usage, placed = await services(request).pools.for_user(user_id)
    payload: MyPoolsResponse = {
        "success": True,
        "userId": user_id,
        "poolMode": True,
        "totalPools": len(usage),
        "totalBots": len(placed),
        "maxBotsPerPool": max((u.pool.capacity for u in usage), default=0),
        "pools": [pool_info(u) for u in usage],
        "bots": [pool_bot(b) for b in placed],
    }
    return reply(payload)


async def my_health_check(request: web.Request) -> web.Response:
    report = await services(request).reconciler.run_once(principal(request).user_id)
    return reply(health_check(report))


async def my_cleanup(request: web.Request) -> web.Response:
    result = await services(request).reconciler.cleanup(principal(request).user_id)
    payload: CleanupResponse = {
        "success": True,
        "userId": result.user_id,
        "removedBots": result.removed_bots,
        "checkedBots": result.checked_bots,
        "removedFromState": result.removed_from_state,
        "removedFromFilesystem": result.removed_from_pools,
        "errors": result.errors,
        "message": f"Cleaned up {result.removed_bots} orphaned bot(s)",
    }
    return reply(payload)


async def announce(request: web.Request) -> web.Response:
    directory = services(request).pools
    if not directory.accepts_token(token_from(request, allow_query=False)):
        raise NotAuthenticated("A valid pool token is required", "INVALID_POOL_TOKEN")
    body = await read_body(request, AnnounceRequest)
    pool = await directory.announce(
        body["poolId"],
        body["controlUrl"],
        host_label=body.get("hostLabel", ""),
        capacity=body.get("capacity"),
    )
    payload: AnnounceResponse = {
        "success": True,
        "pool": {
            "id": pool.id,
            "controlUrl": pool.control_url,
            "hostLabel": pool.host_label,
            "source": pool.source,
            "status": pool.status,
            "capacity": pool.capacity,
        },
    }
    return reply(payload)


ROUTES = [
    Route("GET", "/api/freqtrade/pool/my-pools", my_pools, Access.USER,
          "Pools holding the caller's bots, and every healthy pool", MyPoolsResponse,
          tag="pools"),
    Route("POST", "/api/freqtrade/pool/my-health-check", my_health_check, Access.USER,
          "Reconcile the caller's bots with their pools now", HealthCheckResponse, tag="pools"),
    Route("POST", "/api/freqtrade/pool/my-cleanup", my_cleanup, Access.USER,
          "Remove the caller's orphaned bots from pools and the database", CleanupResponse,
          tag="pools"),
    Route("POST", "/api/pools/announce", announce, Access.PUBLIC,
          "A pool supervisor announces its control URL (pool token as Bearer)",
          AnnounceResponse, AnnounceRequest, rate_group=None, tag="pools"),
]  # fmt: skip
