"""A1-A6: login, register, Google sign-in, verify-token, refresh-token, logout (contract §2.2)."""

from __future__ import annotations

from aiohttp import web

from gateway.handlers.common import principal, read_body, reply, services
from gateway.handlers.cookies import REFRESH_COOKIE, clear_auth_cookies, set_auth_cookies
from gateway.handlers.views import user_summary, verified_user
from gateway.keys import SETTINGS
from gateway.models.auth import (
    GoogleVerifyRequest,
    GoogleVerifyResponse,
    LoginRequest,
    LoginResponse,
    RefreshResponse,
    RegisterRequest,
    RegisterResponse,
    VerifyTokenResponse,
)
from gateway.models.common import MessageBody
from gateway.requestinfo import client_info
from gateway.routing import Access, Route
from gateway.services.money.money import from_cents


async def login(request: web.Request) -> web.Response:
    body = await read_body(request, LoginRequest)
    signed = await services(request).auth.login(
        body["email"], body["password"], client_info(request)
    )
    payload: LoginResponse = {
        "success": True,
        "message": "Logged in successfully",
        "token": signed.access_token,
        "expiresIn": signed.expires_in,
        "data": {"user": user_summary(signed.user)},
    }
    response = reply(payload)
    set_auth_cookies(response, request.app[SETTINGS], signed.access_token, signed.refresh_token)
    return response


async def register(request: web.Request) -> web.Response:
    body = await read_body(request, RegisterRequest)
    user = await services(request).auth.register(
        body["username"], body["email"], body["password"], client_info(request)
    )
    payload: RegisterResponse = {
        "success": True,
        "message": "User registered successfully",
        "data": {"id": user.id, "username": user.username, "email": user.email},
    }
    return reply(payload, status=201)


async def google_verify(request: web.Request) -> web.Response:
    body = await read_body(request, GoogleVerifyRequest)
    signed = await services(request).auth.google_login(body["idToken"], client_info(request))
    payload: GoogleVerifyResponse = {
        "success": True,
        "message": "Google authentication successful",
        "data": user_summary(signed.user),
    }
    response = reply(payload)
    set_auth_cookies(response, request.app[SETTINGS], signed.access_token, signed.refresh_token)
    return response


async def verify_token(request: web.Request) -> web.Response:
    caller = principal(request)
    payload: VerifyTokenResponse = {
        "success": True,
        "valid": True,
        "message": f"{caller.token_kind} token is valid",
        "tokenType": caller.token_kind,
        "user": verified_user(caller.user),
    }
    balance = await services(request).wallet.balance_cents(caller.user_id)
    payload["user"]["paperBalance"] = from_cents(balance)
    if caller.firebase_uid is not None:
        payload["uid"] = caller.firebase_uid
    return reply(payload)


async def refresh_token(request: web.Request) -> web.Response:
    signed = await services(request).auth.refresh(
        request.cookies.get(REFRESH_COOKIE), client_info(request)
    )
    payload: RefreshResponse = {
        "success": True,
        "accessToken": signed.access_token,
        "token": signed.access_token,
        "expiresIn": signed.expires_in,
    }
    response = reply(payload)
    set_auth_cookies(response, request.app[SETTINGS], signed.access_token, signed.refresh_token)
    return response


async def logout(request: web.Request) -> web.Response:
    await services(request).auth.logout(request.cookies.get(REFRESH_COOKIE), client_info(request))
    payload: MessageBody = {"success": True, "message": "Logged out successfully"}
    response = reply(payload)
    clear_auth_cookies(response, request.app[SETTINGS])
    return response


ROUTES = [
    Route("POST", "/api/auth/login", login, Access.PUBLIC, "Log in with e-mail and password",
          LoginResponse, LoginRequest, rate_group="auth", tag="auth"),
    Route("POST", "/api/auth/register", register, Access.PUBLIC, "Create an e-mail account",
          RegisterResponse, RegisterRequest, status=201, rate_group="auth", tag="auth"),
    Route("POST", "/api/auth/google-verify", google_verify, Access.PUBLIC,
          "Sign in with a Firebase ID token (idempotent upsert)", GoogleVerifyResponse,
          GoogleVerifyRequest, rate_group="auth", tag="auth"),
    Route("GET", "/api/auth/verify-token", verify_token, Access.USER,
          "Check a token (either kind) and return its user", VerifyTokenResponse,
          rate_group=None, error_fields={"valid": False}, tag="auth"),
    Route("POST", "/api/auth/refresh-token", refresh_token, Access.PUBLIC,
          "Rotate the refreshToken cookie and return a new access token", RefreshResponse,
          rate_group=None, tag="auth"),
    Route("POST", "/api/auth/logout", logout, Access.PUBLIC,
          "Revoke the session of the refreshToken cookie and clear the cookies", MessageBody,
          rate_group="auth", tag="auth"),
]  # fmt: skip
