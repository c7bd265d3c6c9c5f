"""The gateway's exceptions, sorted by what fixes them; the error middleware maps them to HTTP.

- `BadInput` (400/422): the client must change its request.
- `NotAuthenticated` (401) / `Forbidden` (403): the client must (re)authenticate or lacks a role.
- `NotFound` (404): the thing does not exist (for this user).
- `Conflict` (409): the request clashes with the current state.
- `RateLimited` (429): wait `retry_after` seconds.
- `BadGateway` (502): a bot's own API did not answer (it is offline or broken).
- `Unavailable` (503): a dependency is down; retrying later may work.
Anything else is a bug: 500, logged with its traceback, never shown to the client.
"""

from __future__ import annotations

from collections.abc import Mapping


class ApiError(Exception):
    """Base of every error the client is told about; `code` is stable, `message` is for humans."""

    status = 500
    default_code = "INTERNAL_ERROR"

    def __init__(
        self,
        message: str,
        code: str | None = None,
        *,
        extra: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


class BadInput(ApiError):
    """The request is malformed or fails a business rule the client can fix."""

    status = 400
    default_code = "BAD_REQUEST"


class InvalidField(BadInput):
    """A body field is missing, has the wrong JSON type or an unacceptable value."""

    status = 422
    default_code = "VALIDATION_ERROR"

    def __init__(self, field: str, message: str, code: str = "VALIDATION_ERROR") -> None:
        super().__init__(message, code, extra={"field": field})
        self.field = field


class NotAuthenticated(ApiError):
    """No credential, or one that is invalid or expired."""

    status = 401
    default_code = "UNAUTHENTICATED"


class Forbidden(ApiError):
    """Authenticated, but the role does not allow this."""

    status = 403
    default_code = "FORBIDDEN"


class NotFound(ApiError):
    """The resource does not exist, or not for this user."""

    status = 404
    default_code = "NOT_FOUND"


class Conflict(ApiError):
    """The request clashes with current state (already exists, already done)."""

    status = 409
    default_code = "CONFLICT"


class RateLimited(ApiError):
    """Too many requests; `retry_after` says when trying again can succeed.

    `limit` names the limit that refused (a route group's, or `login_account`/`login_ip`):
    the label of `cryptopilot_rate_limit_rejections_total`.
    """

    status = 429
    default_code = "RATE_LIMITED"

    def __init__(
        self,
        message: str,
        retry_after: int,
        code: str | None = None,
        *,
        limit: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        merged = {"Retry-After": str(max(1, retry_after)), **(headers or {})}
        super().__init__(message, code, headers=merged)
        self.retry_after = max(1, retry_after)
        self.limit = limit


class Unavailable(ApiError):
    """A dependency (database, pool) is down; temporary by nature."""

    status = 503
    default_code = "UNAVAILABLE"


class BadGateway(ApiError):
    """A bot's FreqTrade API did not answer or failed; temporary by nature."""

    status = 502
    default_code = "BAD_GATEWAY"


class PoolUnreachable(Unavailable):
    """A pool did not answer (refused, reset, timed out): the call may still have happened."""

    def __init__(self, pool_id: str, reason: str) -> None:
        super().__init__(f"Pool {pool_id} is not reachable", "POOL_UNAVAILABLE")
        self.pool_id = pool_id
        self.reason = reason
