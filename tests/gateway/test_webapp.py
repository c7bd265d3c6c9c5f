"""The gateway serves a built web app at / when CRYPTOPILOT_WEB_DIR is set; APIs stay JSON."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gateway.webapp import content_security_policy, load_webapp
from tests.gateway.conftest import ClientFactory

INDEX = "<!doctype html><title>Crypto-Pilot</title><div id=root></div>"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite only: serving files does not depend on the database engine."""
    return f"sqlite+aiosqlite:///{tmp_path}/gateway.sqlite3"


@pytest.fixture
def built_app(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text("console.log('app')")
    (root / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("not for the web")
    return root


async def test_files_and_the_page_fallback(make_client: ClientFactory, built_app: Path) -> None:
    client = await make_client(web_dir=str(built_app))

    root = await client.get("/")
    assert root.status == 200
    assert await root.text() == INDEX
    assert root.headers["Cache-Control"] == "no-cache"
    assert "default-src 'self'" in root.headers["Content-Security-Policy"]
    assert root.headers["X-Content-Type-Options"] == "nosniff"
    assert root.headers["X-Frame-Options"] == "DENY"

    asset = await client.get("/assets/index-abc123.js")
    assert asset.status == 200
    assert await asset.text() == "console.log('app')"
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "javascript" in asset.headers["Content-Type"]

    # A page of the app's router: index.html, so a reload of a deep link works.
    for path in ("/dashboard", "/bots/alice-bot-1", "/wallet/"):
        page = await client.get(path, headers={"Accept": "text/html,application/xhtml+xml"})
        assert page.status == 200, path
        assert await page.text() == INDEX

    head = await client.head("/favicon.svg")
    assert head.status == 200
    assert head.headers["Cache-Control"] == "no-cache"


async def test_missing_files_and_traversal_are_404(
    make_client: ClientFactory, built_app: Path
) -> None:
    client = await make_client(web_dir=str(built_app))
    assert (await client.get("/assets/gone-123.js")).status == 404
    assert (await client.get("/robots.txt", headers={"Accept": "text/html"})).status == 404
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt"):
        response = await client.get(path, headers={"Accept": "*/*"})
        assert "not for the web" not in await response.text(), path
    # JSON clients of a page path get no HTML.
    assert (await client.get("/dashboard", headers={"Accept": "application/json"})).status == 404


async def test_api_paths_keep_their_json_answers(
    make_client: ClientFactory, built_app: Path
) -> None:
    client = await make_client(web_dir=str(built_app))
    unknown = await client.get("/api/nothing-here", headers={"Accept": "text/html"})
    assert unknown.status == 404
    assert (await unknown.json())["message"] == "API endpoint not found: GET /api/nothing-here"
    wrong_method = await client.get("/api/auth/login", headers={"Accept": "text/html"})
    assert wrong_method.status == 405
    assert (await wrong_method.json())["code"] == "METHOD_NOT_ALLOWED"
    posted = await client.post("/dashboard")
    assert posted.status in (404, 405)
    assert (await posted.json())["success"] is False
    health = await client.get("/api/health")
    assert health.status == 200
    assert "Content-Security-Policy" not in health.headers


async def test_not_served_without_the_setting_or_a_build(
    make_client: ClientFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await make_client()
    assert (await client.get("/", headers={"Accept": "text/html"})).status == 404
    empty = tmp_path / "empty"
    empty.mkdir()
    with caplog.at_level(logging.WARNING, logger="gateway.webapp"):
        assert load_webapp(str(empty)) is None
    assert "has no index.html" in caplog.text


async def test_runtime_config_names_the_auth_emulator(
    make_client: ClientFactory, built_app: Path
) -> None:
    (built_app / "runtime-config.js").write_text("window.__CRYPTOPILOT_RUNTIME__ = {};")
    plain = await make_client(web_dir=str(built_app))
    response = await plain.get("/runtime-config.js")
    assert response.status == 200
    assert await response.text() == "window.__CRYPTOPILOT_RUNTIME__ = {};\n"
    assert response.headers["Cache-Control"] == "no-cache"
    demo = await make_client(web_dir=str(built_app), firebase_auth_emulator_host="127.0.0.1:9099")
    script = await (await demo.get("/runtime-config.js")).text()
    assert script == (
        'window.__CRYPTOPILOT_RUNTIME__ = {"firebaseAuthEmulatorUrl": "http://127.0.0.1:9099"};\n'
    )


def test_csp_allows_the_auth_emulator_only_when_set() -> None:
    assert "127.0.0.1" not in content_security_policy("")
    with_emulator = content_security_policy("127.0.0.1:9099")
    assert (
        "frame-src https://*.firebaseapp.com https://accounts.google.com http://127.0.0.1:9099"
        in with_emulator
    )
    assert "ws://127.0.0.1:9099" in with_emulator
