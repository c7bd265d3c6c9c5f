"""Facts about the client of a request (IP, user agent) that handlers and middlewares share."""

from __future__ import annotations

from aiohttp import web

from gateway.keys import SETTINGS
from gateway.services.accounts.auth import ClientInfo


def client_ip(request: web.Request) -> str:
    """The caller's IP; the first X-Forwarded-For hop only when the proxy is trusted."""
    if request.app[SETTINGS].trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return request.remote or "unknown"


def client_info(request: web.Request) -> ClientInfo:
    return ClientInfo(ip=client_ip(request), user_agent=request.headers.get("User-Agent", ""))
