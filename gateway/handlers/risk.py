"""R1-R8: per-bot risk settings, feature objects, resume and the trade-monitor badge."""

from __future__ import annotations

from typing import Any, cast

from aiohttp import web

from gateway.handlers.common import principal, read_body, reply, services
from gateway.models.risk import (
    BotRiskEntry,
    Features,
    FeaturesResetResponse,
    FeaturesResponse,
    FeaturesUpdate,
    MonitorStatusResponse,
    ResumeResponse,
    RiskDefaults,
    RiskOverviewResponse,
    RiskSettings,
    RiskSettingsDetailResponse,
    RiskSettingsResponse,
    RiskSettingsUpdate,
)
from gateway.routing import Access, Route
from gateway.services.common import iso
from gateway.services.risk import defaults as rd
from gateway.services.risk.settings import BotRisk


def _settings(risk: BotRisk) -> RiskSettings:
    return {
        "enabled": risk.settings["enabled"],
        "riskLevel": risk.settings["riskLevel"],
        "autoRebalance": risk.settings["autoRebalance"],
        "dcaEnabled": risk.settings["dcaEnabled"],
        "createdAt": iso(risk.created_at),
        "updatedAt": iso(risk.updated_at),
    }


def _defaults() -> RiskDefaults:
    return cast(RiskDefaults, rd.default_settings())


def _features(risk: BotRisk) -> Features:
    return cast(Features, risk.features)


def _instance_id(request: web.Request) -> str:
    return request.match_info["instanceId"]


async def list_settings(request: web.Request) -> web.Response:
    found = await services(request).risk.overview(principal(request).user_id)
    bots: list[BotRiskEntry] = [
        {
            "instanceId": record.id,
            "poolId": record.pool_id,
            "settings": _settings(risk),
            "defaults": _defaults(),
            "isRunning": record.observed_state == "running",
            "isNewBot": risk.is_new,
            "lastUpdated": iso(risk.updated_at),
        }
        for record, risk in found
    ]
    payload: RiskOverviewResponse = {
        "success": True,
        "bots": bots,
        "defaults": _defaults(),
        "totalBots": len(bots),
        "runningBots": sum(1 for bot in bots if bot["isRunning"]),
        "message": f"Found {len(bots)} bots",
    }
    return reply(payload)


async def update_settings(request: web.Request) -> web.Response:
    body = await read_body(request, RiskSettingsUpdate)
    risk = await services(request).risk.update_settings(
        principal(request).user_id, _instance_id(request), body
    )
    payload: RiskSettingsResponse = {
        "success": True,
        "settings": _settings(risk),
        "message": "Risk settings updated",
    }
    return reply(payload)


async def get_settings(request: web.Request) -> web.Response:
    risk = await services(request).risk.for_bot(principal(request).user_id, _instance_id(request))
    payload: RiskSettingsDetailResponse = {
        "success": True,
        "settings": _settings(risk),
        "defaults": _defaults(),
        "isNewBot": risk.is_new,
        "message": "Default settings" if risk.is_new else "Saved settings",
    }
    return reply(payload)


def _features_reply(instance_id: str, risk: BotRisk, message: str) -> web.Response:
    payload: FeaturesResponse = {
        "success": True,
        "data": _features(risk),
        "summary": rd.summary(risk.features),
        "instanceId": instance_id,
        "message": message,
    }
    return reply(payload)


async def get_features(request: web.Request) -> web.Response:
    instance_id = _instance_id(request)
    risk = await services(request).risk.for_bot(principal(request).user_id, instance_id)
    return _features_reply(instance_id, risk, "Features loaded")


async def save_features(request: web.Request) -> web.Response:
    raw = await request.read()
    if len(raw) > rd.MAX_FEATURES_BYTES:
        raise rd.FeaturesTooLarge()
    body: Any = await read_body(request, FeaturesUpdate)
    instance_id = _instance_id(request)
    risk = await services(request).risk.save_features(principal(request).user_id, instance_id, body)
    return _features_reply(instance_id, risk, "Features saved")


async def reset_features(request: web.Request) -> web.Response:
    risk = await services(request).risk.reset_features(
        principal(request).user_id, _instance_id(request)
    )
    payload: FeaturesResetResponse = {
        "success": True,
        "data": _features(risk),
        "message": "Features reset to defaults",
    }
    return reply(payload)


async def resume(request: web.Request) -> web.Response:
    await services(request).risk.resume(principal(request).user_id, _instance_id(request))
    payload: ResumeResponse = {
        "success": True,
        "data": {"success": True},
        "message": "Trading resumed",
    }
    return reply(payload)


async def monitor_status(request: web.Request) -> web.Response:
    running, count = await services(request).monitor.status(principal(request).user_id)
    payload: MonitorStatusResponse = {
        "success": True,
        "data": {"running": running, "botCount": count},
    }
    return reply(payload)


SETTINGS = "/api/freqtrade/universal-settings"
FEATURES = "/api/freqtrade/universal-features/{instanceId}"

ROUTES = [
    Route("GET", SETTINGS, list_settings, Access.USER,
          "Risk settings of all the caller's bots", RiskOverviewResponse, tag="risk"),
    Route("PUT", SETTINGS + "/{instanceId}", update_settings, Access.USER,
          "Change (part of) a bot's risk settings", RiskSettingsResponse, RiskSettingsUpdate,
          tag="risk"),
    Route("GET", SETTINGS + "/{instanceId}", get_settings, Access.USER,
          "A bot's risk settings and the defaults", RiskSettingsDetailResponse, tag="risk"),
    Route("GET", FEATURES, get_features, Access.USER,
          "A bot's feature object (defaults until saved)", FeaturesResponse, tag="risk"),
    Route("PUT", FEATURES, save_features, Access.USER,
          "Save a bot's feature object; applies what FreqTrade supports", FeaturesResponse,
          FeaturesUpdate, tag="risk"),
    Route("POST", FEATURES + "/reset", reset_features, Access.USER,
          "Reset a bot's feature object to the defaults", FeaturesResetResponse, tag="risk"),
    Route("POST", FEATURES + "/resume", resume, Access.USER,
          "Lift a bot's trading pause", ResumeResponse, tag="risk"),
    Route("GET", "/api/freqtrade/trade-monitor/status", monitor_status, Access.USER,
          "Whether the caller's bots are being watched", MonitorStatusResponse, tag="risk"),
]  # fmt: skip
