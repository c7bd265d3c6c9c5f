"""Typed keys of the shared resources stored on the aiohttp application."""

from __future__ import annotations

from aiohttp import web

from gateway.auth.identity import IdTokenVerifier, Principal
from gateway.db.database import Database
from gateway.metrics import GatewayMetrics
from gateway.ratelimit import RateLimiter
from gateway.services.container import Services
from gateway.settings import Settings
from observability.analytics import Analytics

SETTINGS = web.AppKey("settings", Settings)
DB = web.AppKey("db", Database)
FIREBASE = web.AppKey("firebase", IdTokenVerifier)
SERVICES = web.AppKey("services", Services)
RATE_LIMITER = web.AppKey("rate_limiter", RateLimiter)
METRICS = web.AppKey("metrics", GatewayMetrics)
ANALYTICS = web.AppKey("analytics", Analytics)

# Per-request values set by the middlewares.
PRINCIPAL = web.RequestKey("principal", Principal)
REQUEST_ID = web.RequestKey("request_id", str)
