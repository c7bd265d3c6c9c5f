"""The OpenAPI 3.1 document, generated from the route table and its TypedDict models."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from gateway.models.common import ErrorBody
from gateway.models.schema import JsonSchema, json_schema
from gateway.routing import Access, Route

OpenApiDocument = dict[str, Any]
OPENAPI_DOCUMENT = web.AppKey("openapi_document", dict[str, Any])

SSE = "text/event-stream"
_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
_ERRORS = {
    "400": "Malformed request",
    "401": "Missing, invalid or expired token",
    "403": "Role does not allow this",
    "404": "Not found",
    "409": "Conflicts with current state",
    "422": "A field is missing or invalid",
    "429": "Rate limited (see Retry-After)",
    "500": "Bug",
    "503": "Dependency unavailable",
}


# Who may call: none for public routes; `{}` means "no credential" (an open /metrics).
_SECURITY: dict[Access, list[dict[str, list[str]]]] = {
    Access.USER: [{"bearer": []}],
    Access.ADMIN: [{"bearer": []}],
    Access.SCRAPE: [{"metricsToken": []}, {}],
    Access.MONITORING: [{"metricsToken": []}, {"bearer": []}],
}


def build_openapi(routes: list[Route], version: str = "0.1.0") -> OpenApiDocument:
    """One operation per route; request/response schemas come from the route's models."""
    components: dict[str, JsonSchema] = {}
    error_ref = json_schema(ErrorBody, components)
    paths: dict[str, dict[str, Any]] = {}
    for route in sorted(routes, key=lambda r: (r.path, r.method)):
        path = _PARAM.sub(r"{\1}", route.path)
        operation: dict[str, Any] = {
            "operationId": f"{route.method.lower()}_{route.handler.__name__}_{len(paths)}",
            "summary": route.summary,
            "tags": [route.tag],
            "x-access": route.access.value,
            "responses": _responses(route, components, error_ref),
        }
        if route.rate_group:
            operation["x-rate-limit-group"] = route.rate_group
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _PARAM.findall(route.path)
        ]
        params.extend(
            {
                "name": param.name,
                "in": "query",
                "description": param.description,
                "schema": dict(param.schema),
            }
            for param in route.query
        )
        if route.query_token:
            params.append({"name": "token", "in": "query", "schema": {"type": "string"}})
        if params:
            operation["parameters"] = params
        security = _SECURITY.get(route.access)
        if security is not None:
            operation["security"] = security
        if route.request is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": json_schema(route.request, components)}},
            }
        paths.setdefault(path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Crypto-Pilot API gateway", "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Firebase ID token or the gateway's own HS256 JWT",
                },
                "metricsToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "CRYPTOPILOT_METRICS_TOKEN (Prometheus' scrape credential)",
                },
            },
        },
    }


def _responses(route: Route, components: dict[str, JsonSchema], error_ref: JsonSchema) -> Any:
    if route.response is None:
        success: dict[str, Any] = {"description": "OK", "content": {route.content_type: {}}}
    elif route.response is OpenApiDocument:
        success = {"description": "OK", "content": {"application/json": {"schema": {}}}}
    else:
        schema = json_schema(route.response, components)
        if route.content_type == SSE:
            schema = _event_schema(schema, components)
        success = {"description": "OK", "content": {route.content_type: {"schema": schema}}}
    responses: dict[str, Any] = {str(route.status): success}
    for status, description in _ERRORS.items():
        responses[status] = {
            "description": description,
            "content": {"application/json": {"schema": error_ref}},
        }
    return responses


def _event_schema(events_ref: JsonSchema, components: dict[str, JsonSchema]) -> JsonSchema:
    """One server-sent event (OpenAPI 3.1 `schema` of an event stream describes each event).

    The route's model names the events (its keys) and their JSON payloads (its values): an
    event is `event: <key>` with `data:` that JSON document.
    """
    name = str(events_ref["$ref"]).rsplit("/", 1)[-1]
    payloads: dict[str, JsonSchema] = components[name]["properties"]
    return {
        "description": f"One event of the stream; the payloads are #/components/schemas/{name}",
        "oneOf": [
            {
                "type": "object",
                "required": ["event", "data"],
                "properties": {
                    "event": {"const": event},
                    "data": {
                        "type": "string",
                        "contentMediaType": "application/json",
                        "contentSchema": payload,
                    },
                },
            }
            for event, payload in payloads.items()
        ],
    }
