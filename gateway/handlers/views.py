"""Turn service objects into the wire models the frontend reads."""

from __future__ import annotations

from datetime import datetime

from gateway.models.account import AdminUser, NotificationPreferences, Profile, SessionInfo
from gateway.models.auth import UserSummary, VerifiedUser
from gateway.services.accounts.notifications import NotificationSettings
from gateway.services.accounts.sessions import Session
from gateway.services.accounts.users import User
from gateway.services.common import iso


def _iso(moment: datetime) -> str:
    return iso(moment) or ""


def user_summary(user: User) -> UserSummary:
    return {"id": user.id, "name": user.name, "email": user.email, "avatar": user.avatar}


def verified_user(user: User) -> VerifiedUser:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "avatar": user.avatar,
        "role": user.role,
        "createdAt": _iso(user.created_at),
        "lastLogin": iso(user.last_login),
    }


def notification_preferences(prefs: NotificationSettings) -> NotificationPreferences:
    return {
        "emailNotifications": {
            "tradeAlerts": prefs.trade_alerts,
            "dailySummary": prefs.daily_summary,
            "botErrors": prefs.bot_errors,
        },
        "pushNotifications": prefs.push_notifications,
        "notificationFrequency": prefs.frequency,
    }


def profile(user: User, prefs: NotificationSettings) -> Profile:
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "displayName": user.display_name,
        "avatar": user.avatar,
        "timezone": user.timezone,
        "preferredCurrency": user.preferred_currency,
        "emailVerified": user.email_verified,
        "twoFactorEnabled": False,
        "authProvider": user.auth_provider,
        "hasPassword": user.password_hash is not None,
        "role": user.role,
        "subscription": {"plan": "free", "maxBots": 3, "maxWalletSize": 100000, "expiresAt": None},
        "notificationPreferences": notification_preferences(prefs),
        "createdAt": _iso(user.created_at),
        "lastLogin": iso(user.last_login),
    }


def session_info(session: Session, current_session_id: str | None) -> SessionInfo:
    return {
        "sessionId": session.id,
        "device": session.device,
        "browser": session.browser,
        "ip": session.ip,
        "location": "Unknown",
        "lastActive": _iso(session.last_active),
        "createdAt": _iso(session.created_at),
        "current": session.id == current_session_id,
    }


def admin_user(user: User) -> AdminUser:
    return {
        "id": user.id,
        "email": user.email,
        "username": user.username,
        "role": user.role,
        "authProvider": user.auth_provider,
        "emailVerified": user.email_verified,
        "createdAt": _iso(user.created_at),
        "lastLogin": iso(user.last_login),
    }
