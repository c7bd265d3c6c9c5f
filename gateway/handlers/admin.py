"""Admin-only routes."""

from __future__ import annotations

from aiohttp import web

from gateway.handlers.common import reply, services
from gateway.handlers.views import admin_user
from gateway.models.account import AdminUsersResponse
from gateway.routing import Access, Route


async def list_users(request: web.Request) -> web.Response:
    found = await services(request).users.list_all()
    payload: AdminUsersResponse = {
        "success": True,
        "data": [admin_user(user) for user in found],
        "count": len(found),
    }
    return reply(payload)


ROUTES = [
    Route("GET", "/api/admin/users", list_users, Access.ADMIN, "Every user (admins only)",
          AdminUsersResponse, rate_group="admin", tag="admin"),
]  # fmt: skip
