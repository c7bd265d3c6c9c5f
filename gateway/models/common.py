"""Wire models shared by many routes."""

from __future__ import annotations

from typing import NotRequired, TypedDict


class ErrorBody(TypedDict):
    """Every error: `success` false, a human `message` and a stable `code`."""

    success: bool
    message: str
    code: str
    field: NotRequired[str]
    valid: NotRequired[bool]


class MessageBody(TypedDict):
    """A success that only carries a message."""

    success: bool
    message: str


class HealthBody(TypedDict):
    """Liveness/readiness answer."""

    status: str
    database: NotRequired[str]
