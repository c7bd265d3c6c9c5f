"""Login throttling: too many failed passwords for one account or from one IP gives a 429.

Failures are counted from the audit log, so the limit survives restarts and holds across
gateway processes. An account's count restarts after a successful login.
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta

from gateway.errors import RateLimited
from gateway.services.accounts.audit import AuditEvent, AuditLog

logger = logging.getLogger(__name__)


class LoginThrottle:
    """Checks and records failed logins per e-mail and per client IP."""

    def __init__(
        self, audit: AuditLog, *, per_account: int, per_ip: int, window_seconds: int
    ) -> None:
        self.audit = audit
        self.per_account = per_account
        self.per_ip = per_ip
        self.window = timedelta(seconds=window_seconds)

    async def check(self, email: str, ip: str) -> None:
        """Raise RateLimited (and audit it) when this e-mail or IP failed too often lately."""
        now = self.audit.clock()
        since = now - self.window
        last_success = await self.audit.last(AuditEvent.LOGIN_SUCCEEDED, email=email)
        account_since = max(since, last_success) if last_success else since
        checks = (
            ("account", self.per_account, {"email": email}, account_since),
            ("ip", self.per_ip, {"ip": ip}, since),
        )
        for scope, limit, key, start in checks:
            count, oldest = await self.audit.window(AuditEvent.LOGIN_FAILED, start, **key)
            if count >= limit and oldest is not None:
                retry_after = math.ceil((oldest + self.window - now).total_seconds())
                await self.audit.record(
                    AuditEvent.LOGIN_THROTTLED,
                    email=email,
                    ip=ip,
                    detail=f"{scope}: {count} failures",
                )
                raise RateLimited(
                    "Too many failed login attempts. Please try again later.",
                    retry_after,
                    "LOGIN_THROTTLED",
                    limit=f"login_{scope}",
                )

    async def failed(self, email: str, ip: str, reason: str, user_id: str | None = None) -> None:
        await self.audit.record(
            AuditEvent.LOGIN_FAILED, user_id=user_id, email=email, ip=ip, detail=reason
        )
