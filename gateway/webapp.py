"""The built web app (`web/dist`), served by the gateway when `CRYPTOPILOT_WEB_DIR` is set.

`make demo` uses it so a new user opens one URL; production serves the app from Vercel
(docs/deploy-vercel.md) and leaves the setting empty. Files are served as they are, every other
page path gets `index.html` (the app's router takes over: a reload of `/bots/x` works), and API
paths keep their JSON 404/405 — the middleware answers only requests no route matched.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

logger = logging.getLogger(__name__)

# Never the app: these stay JSON (or the metrics text) whatever the path.
API_PREFIXES = ("/api/", "/ws/", "/metrics")
IMMUTABLE = "public, max-age=31536000, immutable"  # Vite fingerprints /assets/* names
# Loaded by index.html before the app: what only the serving host knows (web/public holds the
# empty default that Vercel serves).
RUNTIME_CONFIG_PATH = "/runtime-config.js"


@dataclass(frozen=True)
class WebApp:
    """The folder of a built app and the security headers its pages carry."""

    root: Path
    headers: dict[str, str]
    runtime: dict[str, str] = field(default_factory=dict)

    @property
    def index(self) -> Path:
        return self.root / "index.html"

    def file_for(self, path: str) -> Path | None:
        """The file under `root` for a URL path, or None (missing, a folder, or outside root)."""
        relative = path.lstrip("/")
        if not relative:
            return None
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate


def content_security_policy(emulator_host: str) -> str:
    """The CSP of vercel.json with the API on this origin (plus a Firebase Auth emulator)."""
    emulator = f" http://{emulator_host}" if emulator_host else ""
    emulator_ws = f" ws://{emulator_host}" if emulator_host else ""
    return "; ".join(
        (
            "default-src 'self'",
            "base-uri 'self'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "script-src 'self' https://apis.google.com https://us-assets.i.posthog.com",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: https:",
            "font-src 'self' data:",
            f"frame-src https://*.firebaseapp.com https://accounts.google.com{emulator}",
            "connect-src 'self' https://identitytoolkit.googleapis.com "
            "https://securetoken.googleapis.com https://us.i.posthog.com "
            f"https://us-assets.i.posthog.com{emulator}{emulator_ws}",
        )
    )


def load_webapp(web_dir: str, emulator_host: str = "") -> WebApp | None:
    """The app in `web_dir`, or None when the setting is empty or the folder holds no build."""
    if not web_dir:
        return None
    root = Path(web_dir).resolve()
    if not (root / "index.html").is_file():
        logger.warning("CRYPTOPILOT_WEB_DIR=%s has no index.html: the web app is not served", root)
        return None
    headers = {
        "Content-Security-Policy": content_security_policy(emulator_host),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cross-Origin-Opener-Policy": "same-origin-allow-popups",
    }
    runtime = {"firebaseAuthEmulatorUrl": f"http://{emulator_host}"} if emulator_host else {}
    logger.info("serving the web app from %s", root)
    return WebApp(root, headers, runtime)


def _is_page_request(request: web.Request) -> bool:
    if request.method not in ("GET", "HEAD") or request.path.startswith(API_PREFIXES):
        return False
    exception = request.match_info.http_exception
    return exception is not None and exception.status == 404


def _wants_html(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "*/*")
    return "text/html" in accept or "*/*" in accept


def webapp_middleware(app: WebApp) -> Middleware:
    """Answer unmatched GET/HEAD page paths with the app's files or its `index.html`."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not _is_page_request(request):
            return await handler(request)
        headers = dict(app.headers)
        if request.path == RUNTIME_CONFIG_PATH:
            script = f"window.__CRYPTOPILOT_RUNTIME__ = {json.dumps(app.runtime)};\n"
            headers["Cache-Control"] = "no-cache"
            return web.Response(text=script, content_type="text/javascript", headers=headers)
        found = app.file_for(request.path)
        if found is not None:
            cache = IMMUTABLE if request.path.startswith("/assets/") else "no-cache"
        elif _wants_html(request) and "." not in request.path.rsplit("/", 1)[-1]:
            found, cache = app.index, "no-cache"
        else:
            return await handler(request)  # a missing file: the usual 404
        headers["Cache-Control"] = cache
        return web.FileResponse(found, headers=headers)

    return middleware
