"""Errors of the pool, sorted by what fixes them; the RPC layer maps each to a status."""

from __future__ import annotations


class PoolError(Exception):
    """Base: `code` is stable (clients switch on it), `message` is for people."""

    status = 500
    code = "INTERNAL"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BadRequest(PoolError):
    """The request is not readable (not JSON, wrong shape)."""

    status = 400
    code = "BAD_REQUEST"


class InvalidInput(PoolError):
    """The request is readable but a value is not acceptable."""

    status = 422
    code = "INVALID_INPUT"


class TooLarge(PoolError):
    """The request is readable but bigger than the pool accepts (a strategy tree)."""

    status = 413
    code = "TOO_LARGE"


class Unauthorized(PoolError):
    """Missing or wrong control token."""

    status = 401
    code = "UNAUTHORIZED"


class NotFound(PoolError):
    """No such bot in this pool."""

    status = 404
    code = "BOT_NOT_FOUND"


class Conflict(PoolError):
    """The pool's current state forbids the change (exists, full, still stopping)."""

    status = 409
    code = "CONFLICT"


class Unavailable(PoolError):
    """Temporarily unable (warming up, shutting down): retry later."""

    status = 503
    code = "UNAVAILABLE"


class BadGateway(PoolError):
    """A bot's own API did not answer the pool's proxy (process down, hung, restarting)."""

    status = 502
    code = "BOT_UNREACHABLE"
