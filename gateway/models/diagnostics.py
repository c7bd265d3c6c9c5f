"""Wire models of the diagnostic routes (the unlinked `/auth-debug` page dumps them)."""

from __future__ import annotations

from typing import NotRequired, TypedDict

from gateway.models.auth import UserSummary


class DebugNoAuthResponse(TypedDict):
    """The gateway answers without any credential."""

    success: bool
    message: str
    timestamp: str


class DebugAuthResponse(TypedDict):
    """What the gateway makes of the request's credential (never an error)."""

    success: bool
    authenticated: bool
    hasAuthorizationHeader: bool
    tokenType: NotRequired[str]
    userId: NotRequired[str]
    reason: NotRequired[str]


class UserProfileResponse(TypedDict):
    """The caller as a user summary."""

    success: bool
    data: UserSummary
