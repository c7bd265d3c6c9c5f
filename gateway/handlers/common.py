"""What every handler needs: parse a body into its model, the caller, JSON answers."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from aiohttp import web

from gateway.auth.identity import Principal
from gateway.errors import BadInput, NotAuthenticated
from gateway.keys import PRINCIPAL, SERVICES
from gateway.models.schema import validate
from gateway.services.container import Services

T = TypeVar("T")


async def read_body(request: web.Request, model: type[T]) -> T:
    """The JSON body checked against `model` (a TypedDict); 400/422 errors otherwise."""
    raw = await request.read()
    if not raw.strip():
        data: Any = {}
    else:
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BadInput("Request body is not valid JSON", "INVALID_JSON") from None
    validated: T = validate(data, model)
    return validated


def principal(request: web.Request) -> Principal:
    """The authenticated caller (the auth middleware guarantees it on protected routes)."""
    found: Principal | None = request.get(PRINCIPAL)
    if found is None:
        raise NotAuthenticated("No token provided", "NO_TOKEN")
    return found


def services(request: web.Request) -> Services:
    return request.app[SERVICES]


def reply(payload: Any, status: int = 200) -> web.Response:
    """A JSON response from a wire model (a TypedDict instance)."""
    return web.json_response(payload, status=status)
