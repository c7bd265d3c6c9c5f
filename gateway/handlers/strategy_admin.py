"""The strategy store's admin API: publish, list, versions, diff, deploy, roll back."""

from __future__ import annotations

from aiohttp import web

from gateway.errors import BadInput
from gateway.handlers.common import principal, read_body, reply, services
from gateway.models.strategies import (
    AdminStrategiesResponse,
    BotDeploy,
    ChangelogItem,
    DeployRequest,
    DeployResponse,
    DiffResponse,
    RollbackRequest,
    StrategyDetail,
    UploadRequest,
    UploadResponse,
    VersionDetailResponse,
    VersionsResponse,
)
from gateway.routing import Access, Route
from gateway.services.strategies.deploy import Deployed
from gateway.services.strategies.gitrepo import Author
from gateway.services.strategies.metadata import StrategyMeta
from gateway.services.strategies.service import DeployOutcome, DeployTarget, StrategyService
from gateway.services.strategies.store import Change, Version


def author_of(request: web.Request) -> Author:
    user = principal(request).user
    return Author(user.display_name or user.username, user.email)


def changelog_item(version: Version) -> ChangelogItem:
    return {
        "version": version.version,
        "commit": version.commit,
        "message": version.message,
        "author": version.author,
        "at": version.at,
    }


async def detail(strategies: StrategyService, meta: StrategyMeta) -> StrategyDetail:
    versions = await strategies.store.versions(meta.className)
    default = await strategies.deployer.default_version(meta.className)
    return {
        "className": meta.className,
        "fileName": meta.fileName,
        "displayName": meta.displayName,
        "description": meta.description,
        "riskLevel": meta.riskLevel,
        "timeframes": meta.timeframes,
        "features": meta.features,
        "recommendedFor": meta.recommendedFor,
        "defaultRiskTemplate": meta.defaultRiskTemplate,
        "version": meta.version,
        "defaultVersion": default.version,
        "changelog": [changelog_item(v) for v in versions],
    }


def bot_deploy(done: Deployed) -> BotDeploy:
    return {
        "botId": done.bot_id,
        "strategy": done.running.strategy,
        "version": done.running.version,
        "commit": done.running.commit,
        "previousVersion": done.previous.version,
        "applied": done.applied,
        "seconds": round(done.seconds, 2),
        "rolledBack": done.rolled_back,
        "message": done.message,
    }


def deploy_reply(outcome: DeployOutcome, what: str) -> web.Response:
    version = outcome.version
    rolled = [d.bot_id for d in outcome.bots if d.rolled_back]
    message = f"{what} {version.strategy} version {version.version} to {len(outcome.bots)} bot(s)"
    if rolled:
        message += f"; rolled back automatically: {', '.join(rolled)}"
    payload: DeployResponse = {
        "success": True,
        "message": message,
        "strategy": version.strategy,
        "version": version.version,
        "commit": version.commit,
        "defaultSet": outcome.default_set,
        "bots": [bot_deploy(d) for d in outcome.bots],
    }
    return reply(payload)


async def upload(request: web.Request) -> web.Response:
    body = await read_body(request, UploadRequest)
    strategies = services(request).strategies
    change = Change(
        file_name=body["fileName"],
        source=body.get("source"),
        message=body["message"],
        metadata=dict(body.get("metadata", {})),
    )
    published = await strategies.publish(change, author_of(request))
    head = await strategies.store.head()
    payload: UploadResponse = {
        "success": True,
        "message": f"Published {', '.join(f'{m.className} v{m.version}' for m in published)}",
        "commit": head,
        "strategies": [await detail(strategies, m) for m in published],
        "reports": [await strategies.store.report(m.className, m.version) or {} for m in published],
    }
    return reply(payload, status=201)


async def list_all(request: web.Request) -> web.Response:
    strategies = services(request).strategies
    found = [await detail(strategies, m) for m in await strategies.store.catalogue()]
    payload: AdminStrategiesResponse = {"success": True, "strategies": found}
    return reply(payload)


async def versions(request: web.Request) -> web.Response:
    strategies = services(request).strategies
    name = request.match_info["className"]
    found = await strategies.store.versions(name)
    default = await strategies.deployer.default_version(name)
    payload: VersionsResponse = {
        "success": True,
        "strategy": name,
        "defaultVersion": default.version,
        "versions": [changelog_item(v) for v in found],
    }
    return reply(payload)


def _number(request: web.Request, key: str) -> int:
    try:
        return int(request.match_info.get(key) or request.query[key])
    except (KeyError, ValueError):
        raise BadInput(f"{key} must be a version number", "INVALID_VERSION") from None


async def show_version(request: web.Request) -> web.Response:
    store = services(request).strategies.store
    name, number = request.match_info["className"], _number(request, "version")
    version = await store.version(name, number)
    meta = await store.meta(name, version.commit)
    payload: VersionDetailResponse = {
        "success": True,
        "strategy": name,
        "version": changelog_item(version),
        "fileName": meta.fileName,
        "source": await store.source(name, number),
        "report": await store.report(name, number),
    }
    return reply(payload)


async def diff(request: web.Request) -> web.Response:
    store = services(request).strategies.store
    name = request.match_info["className"]
    old, new = _number(request, "old"), _number(request, "new")
    payload: DiffResponse = {
        "success": True,
        "strategy": name,
        "old": old,
        "new": new,
        "diff": await store.diff(name, old, new),
    }
    return reply(payload)


async def deploy(request: web.Request) -> web.Response:
    body = await read_body(request, DeployRequest)
    target = DeployTarget(
        bot_id=body.get("botId"),
        all_bots=body.get("allBots", False),
        default=body.get("default", False),
    )
    if target == DeployTarget():
        raise BadInput("Say where to deploy: botId, allBots and/or default", "NO_DEPLOY_TARGET")
    outcome = await services(request).strategies.deploy(
        request.match_info["className"], body.get("version"), target, author_of(request).email
    )
    return deploy_reply(outcome, "Deployed")


async def rollback(request: web.Request) -> web.Response:
    body = await read_body(request, RollbackRequest)
    outcome = await services(request).strategies.rollback(
        request.match_info["className"], body["version"], author_of(request).email
    )
    return deploy_reply(outcome, "Rolled back to")


_ONE = "/api/admin/strategies/{className}"
ROUTES = [
    Route("GET", "/api/admin/strategies", list_all, Access.ADMIN,
          "Every published strategy with its versions", response=AdminStrategiesResponse,
          rate_group="admin", tag="strategies-admin"),
    Route("POST", "/api/admin/strategies", upload, Access.ADMIN,
          "Upload or edit a strategy file: validated, then published as a new version "
          "(422 with the report when it fails)", request=UploadRequest, response=UploadResponse,
          status=201, rate_group="admin", tag="strategies-admin"),
    Route("GET", _ONE + "/versions", versions, Access.ADMIN, "A strategy's versions",
          response=VersionsResponse, rate_group="admin", tag="strategies-admin"),
    Route("GET", _ONE + "/versions/{version}", show_version, Access.ADMIN,
          "One version: source, metadata and validation report",
          response=VersionDetailResponse, rate_group="admin", tag="strategies-admin"),
    Route("GET", _ONE + "/diff", diff, Access.ADMIN,
          "Unified diff between two versions (?old=N&new=M)", response=DiffResponse,
          rate_group="admin", tag="strategies-admin"),
    Route("POST", _ONE + "/deploy", deploy, Access.ADMIN,
          "Deploy a version to one bot, to every bot on the strategy and/or as the default",
          request=DeployRequest, response=DeployResponse, rate_group="admin",
          tag="strategies-admin"),
    Route("POST", _ONE + "/rollback", rollback, Access.ADMIN,
          "Roll back: an earlier version becomes the default and runs on every bot of it",
          request=RollbackRequest, response=DeployResponse, rate_group="admin",
          tag="strategies-admin"),
]  # fmt: skip
