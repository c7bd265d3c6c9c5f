"""Wire models of the account routes U1-U7 (contract §3.3) and the admin user list."""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired, TypedDict

from gateway.models.auth import Password
from gateway.models.schema import Text

Currency = Literal["USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF"]
Frequency = Literal["instant", "hourly", "daily"]


class EmailNotifications(TypedDict):
    """Per-topic e-mail switches."""

    tradeAlerts: bool
    dailySummary: bool
    botErrors: bool


class NotificationPreferences(TypedDict):
    """U6 body and U1 `notificationPreferences`."""

    emailNotifications: EmailNotifications
    pushNotifications: bool
    notificationFrequency: Frequency


class Subscription(TypedDict):
    """The plan card."""

    plan: Literal["free", "pro", "enterprise"]
    maxBots: int
    maxWalletSize: int
    expiresAt: str | None


class Profile(TypedDict):
    """U1 `data`."""

    id: str
    username: str
    email: str
    displayName: str
    avatar: str
    timezone: str
    preferredCurrency: str
    emailVerified: bool
    twoFactorEnabled: bool
    authProvider: Literal["local", "google"]
    hasPassword: bool
    role: Literal["user", "admin"]
    subscription: Subscription
    notificationPreferences: NotificationPreferences
    createdAt: str
    lastLogin: str | None


class ProfileResponse(TypedDict):
    """U1 success."""

    success: bool
    data: Profile


class ProfileUpdate(TypedDict):
    """U2 body."""

    displayName: Annotated[str, Text(min_length=1, max_length=64)]
    timezone: Annotated[str, Text(min_length=1, max_length=64)]
    preferredCurrency: Currency


class ProfileUpdateData(TypedDict):
    """U2 `data`."""

    displayName: str
    timezone: str
    preferredCurrency: str
    avatar: str


class ProfileUpdateResponse(TypedDict):
    """U2 success."""

    success: bool
    message: str
    data: ProfileUpdateData


class ChangePasswordRequest(TypedDict):
    """U3 body; `currentPassword` is required for accounts that already have a password."""

    currentPassword: NotRequired[Annotated[str, Text(max_length=1024)]]
    newPassword: Password


class SessionInfo(TypedDict):
    """One login session (a refresh-token family)."""

    sessionId: str
    device: str
    browser: str
    ip: str
    location: str
    lastActive: str
    createdAt: str
    current: bool


class SessionsResponse(TypedDict):
    """U4 success."""

    success: bool
    data: list[SessionInfo]


class NotificationsResponse(TypedDict):
    """U6 success."""

    success: bool
    message: str
    data: NotificationPreferences


class AdminUser(TypedDict):
    """One row of the admin user list."""

    id: str
    email: str
    username: str
    role: Literal["user", "admin"]
    authProvider: Literal["local", "google"]
    emailVerified: bool
    createdAt: str
    lastLogin: str | None


class AdminUsersResponse(TypedDict):
    """Admin: every user, oldest first."""

    success: bool
    data: list[AdminUser]
    count: int
