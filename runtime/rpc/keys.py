"""Typed application keys shared by the control API's parts."""

from __future__ import annotations

from aiohttp import web

from runtime.analytics import PoolAnalytics
from runtime.pool import Pool
from runtime.settings import PoolSettings

POOL = web.AppKey("pool", Pool)
SETTINGS = web.AppKey("settings", PoolSettings)
ANALYTICS = web.AppKey("analytics", PoolAnalytics)
