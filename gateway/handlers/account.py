"""U1-U7: the `/account` page (profile, password, sessions, notifications, verification)."""

from __future__ import annotations

from aiohttp import web

from gateway.handlers.common import principal, read_body, reply, services
from gateway.handlers.views import notification_preferences, profile, session_info
from gateway.models.account import (
    ChangePasswordRequest,
    NotificationPreferences,
    NotificationsResponse,
    ProfileResponse,
    ProfileUpdate,
    ProfileUpdateResponse,
    SessionsResponse,
)
from gateway.models.common import MessageBody
from gateway.requestinfo import client_ip
from gateway.routing import Access, Route
from gateway.services.accounts.notifications import NotificationSettings


async def get_profile(request: web.Request) -> web.Response:
    caller = principal(request)
    user = await services(request).account.user(caller.user_id)
    prefs = await services(request).notifications.get(user.id)
    payload: ProfileResponse = {"success": True, "data": profile(user, prefs)}
    return reply(payload)


async def update_profile(request: web.Request) -> web.Response:
    body = await read_body(request, ProfileUpdate)
    caller = principal(request)
    await services(request).users.update_profile(
        caller.user_id,
        display_name=body["displayName"].strip(),
        timezone=body["timezone"],
        preferred_currency=body["preferredCurrency"],
    )
    user = await services(request).account.user(caller.user_id)
    payload: ProfileUpdateResponse = {
        "success": True,
        "message": "Profile updated successfully",
        "data": {
            "displayName": user.display_name,
            "timezone": user.timezone,
            "preferredCurrency": user.preferred_currency,
            "avatar": user.avatar,
        },
    }
    return reply(payload)


async def change_password(request: web.Request) -> web.Response:
    body = await read_body(request, ChangePasswordRequest)
    message = await services(request).account.change_password(
        principal(request).user_id,
        body.get("currentPassword"),
        body["newPassword"],
        ip=client_ip(request),
    )
    payload: MessageBody = {"success": True, "message": message}
    return reply(payload)


async def list_sessions(request: web.Request) -> web.Response:
    caller = principal(request)
    found = await services(request).sessions.list_active(caller.user_id)
    payload: SessionsResponse = {
        "success": True,
        "data": [session_info(s, caller.session_id) for s in found],
    }
    return reply(payload)


async def revoke_session(request: web.Request) -> web.Response:
    await services(request).account.revoke_session(
        principal(request).user_id, request.match_info["sessionId"], ip=client_ip(request)
    )
    payload: MessageBody = {"success": True, "message": "Session revoked successfully"}
    return reply(payload)


async def update_notifications(request: web.Request) -> web.Response:
    body = await read_body(request, NotificationPreferences)
    email = body["emailNotifications"]
    prefs = NotificationSettings(
        trade_alerts=email["tradeAlerts"],
        daily_summary=email["dailySummary"],
        bot_errors=email["botErrors"],
        push_notifications=body["pushNotifications"],
        frequency=body["notificationFrequency"],
    )
    await services(request).notifications.save(principal(request).user_id, prefs)
    payload: NotificationsResponse = {
        "success": True,
        "message": "Notification preferences updated",
        "data": notification_preferences(prefs),
    }
    return reply(payload)


async def send_verification_email(request: web.Request) -> web.Response:
    await services(request).account.request_verification(
        principal(request).user_id, ip=client_ip(request)
    )
    payload: MessageBody = {"success": True, "message": "Verification email sent"}
    return reply(payload)


ROUTES = [
    Route("GET", "/api/account/profile", get_profile, Access.USER, "The caller's profile",
          ProfileResponse, rate_group="account", tag="account"),
    Route("PUT", "/api/account/profile", update_profile, Access.USER,
          "Update display name, timezone and currency", ProfileUpdateResponse, ProfileUpdate,
          rate_group="account", tag="account"),
    Route("POST", "/api/account/change-password", change_password, Access.USER,
          "Change the password (Google users may set one)", MessageBody, ChangePasswordRequest,
          rate_group="account", tag="account"),
    Route("GET", "/api/account/sessions", list_sessions, Access.USER,
          "Live login sessions (refresh-token families)", SessionsResponse,
          rate_group="account", tag="account"),
    Route("DELETE", "/api/account/sessions/{sessionId}", revoke_session, Access.USER,
          "Revoke one of the caller's sessions", MessageBody, rate_group="account",
          tag="account"),
    Route("PUT", "/api/account/notifications", update_notifications, Access.USER,
          "Save notification preferences", NotificationsResponse, NotificationPreferences,
          rate_group="account", tag="account"),
    Route("POST", "/api/account/send-verification-email", send_verification_email, Access.USER,
          "Record a verification request and e-mail the link (or log it)", MessageBody,
          rate_group="account", tag="account"),
]  # fmt: skip
