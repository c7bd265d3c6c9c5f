"""The `token` and `refreshToken` cookies: httpOnly, SameSite/Secure chosen by environment.

In production the frontend (Vercel) is cross-site to the API, so cookies must be
`SameSite=None; Secure` to be sent at all; in development plain-HTTP `Lax` works.
"""

from __future__ import annotations

from aiohttp import web

from gateway.settings import Settings

ACCESS_COOKIE = "token"
REFRESH_COOKIE = "refreshToken"
# The refresh cookie is only needed by /api/auth/refresh-token and /api/auth/logout.
REFRESH_PATH = "/api/auth"


def _attributes(settings: Settings) -> dict[str, str | bool]:
    if settings.is_production:
        return {"httponly": True, "secure": True, "samesite": "None"}
    return {"httponly": True, "secure": False, "samesite": "Lax"}


def set_auth_cookies(
    response: web.StreamResponse, settings: Settings, access: str, refresh: str | None
) -> None:
    attrs = _attributes(settings)
    response.set_cookie(
        ACCESS_COOKIE,
        access,
        max_age=settings.access_token_ttl_seconds,
        path="/",
        httponly=bool(attrs["httponly"]),
        secure=bool(attrs["secure"]),
        samesite=str(attrs["samesite"]),
    )
    if refresh is not None:
        response.set_cookie(
            REFRESH_COOKIE,
            refresh,
            max_age=settings.refresh_token_ttl_seconds,
            path=REFRESH_PATH,
            httponly=bool(attrs["httponly"]),
            secure=bool(attrs["secure"]),
            samesite=str(attrs["samesite"]),
        )


def clear_auth_cookies(response: web.StreamResponse, settings: Settings) -> None:
    attrs = _attributes(settings)
    for name, path in ((ACCESS_COOKIE, "/"), (REFRESH_COOKIE, REFRESH_PATH)):
        response.del_cookie(
            name,
            path=path,
            secure=bool(attrs["secure"]),
            httponly=bool(attrs["httponly"]),
            samesite=str(attrs["samesite"]),
        )
