"""vercel.json and .vercelignore: Vercel's own routing schemas and compiler, documented keys.

No npm or PyPI package ships Vercel's whole vercel.json schema (openapi.vercel.sh/vercel.json);
`@vercel/routing-utils`, the package Vercel's CLI and build use for routes, ships the JSON
schemas of `rewrites`, `headers`, `redirects`, `cleanUrls`, `trailingSlash` and the compiler
that turns them into routes. The top-level keys are checked against the documented list.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.pool_containers.tools import REPO, in_ci, venv_tool

VERCEL_JSON = REPO / "vercel.json"
ROUTING_UTILS = REPO / "node_modules" / "@vercel" / "routing-utils"
API_ORIGIN = "api.crypto-pilot.dev"  # VITE_API_URL of the production build (contract §1.1)

# https://vercel.com/docs/project-configuration (vercel.json), with the JSON type of each.
DOCUMENTED_KEYS: dict[str, type | tuple[type, ...]] = {
    "$schema": str,
    "buildCommand": (str, type(None)),
    "bunVersion": str,
    "cleanUrls": bool,
    "crons": list,
    "devCommand": (str, type(None)),
    "fluid": bool,
    "framework": (str, type(None)),
    "functions": dict,
    "headers": list,
    "ignoreCommand": (str, type(None)),
    "images": dict,
    "installCommand": (str, type(None)),
    "outputDirectory": (str, type(None)),
    "public": bool,
    "redirects": list,
    "bulkRedirectsPath": (str, type(None)),
    "regions": list,
    "functionFailoverRegions": list,
    "rewrites": list,
    "trailingSlash": bool,
}
SCHEMAS = {
    "rewrites": "rewritesSchema",
    "headers": "headersSchema",
    "cleanUrls": "cleanUrlsSchema",
    "trailingSlash": "trailingSlashSchema",
}


def config() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VERCEL_JSON.read_text())
    return data


def node(script: str) -> Any:
    """Run `script` with node where @vercel/routing-utils is installed; its JSON output."""
    if shutil.which("node") is None or not ROUTING_UTILS.is_dir():
        message = "node and @vercel/routing-utils (`make install`, package.json) are needed"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run(
        ["node", "-e", script], cwd=REPO, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(result.stdout)


def transformed_routes() -> list[dict[str, Any]]:
    out = node(
        "const r = require('@vercel/routing-utils');"
        "const c = JSON.parse(require('fs').readFileSync('vercel.json', 'utf8'));"
        "const t = r.getTransformedRoutes(c);"
        "console.log(JSON.stringify({error: t.error, routes: t.routes}));"
    )
    assert out["error"] is None, out["error"]
    routes: list[dict[str, Any]] = out["routes"]
    return routes


def test_only_documented_top_level_keys_with_their_types():
    for key, value in config().items():
        assert key in DOCUMENTED_KEYS, key
        assert isinstance(value, DOCUMENTED_KEYS[key]), key


@pytest.mark.parametrize("key", sorted(SCHEMAS))
def test_routing_keys_validate_against_vercels_schemas(tmp_path: Path, key: str):
    schema = node(f"console.log(JSON.stringify(require('@vercel/routing-utils').{SCHEMAS[key]}))")
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    (tmp_path / "value.json").write_text(json.dumps(config()[key]))
    result = subprocess.run(
        [
            venv_tool("check-jsonschema"),
            "--schemafile",
            str(tmp_path / "schema.json"),
            str(tmp_path / "value.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schemas_catch_a_bad_rewrite(tmp_path: Path):
    schema = node("console.log(JSON.stringify(require('@vercel/routing-utils').rewritesSchema))")
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    (tmp_path / "value.json").write_text(json.dumps([{"source": "/(.*)", "dest": "/index.html"}]))
    result = subprocess.run(
        [
            venv_tool("check-jsonschema"),
            "--schemafile",
            str(tmp_path / "schema.json"),
            str(tmp_path / "value.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1


def test_builds_the_web_app_with_vite():
    data = config()
    assert data["framework"] == "vite"
    assert data["installCommand"] == "cd web && npm ci"
    assert data["buildCommand"] == "cd web && npm run build"
    assert data["outputDirectory"] == "web/dist"


def route_for(routes: list[dict[str, Any]], path: str, phase: str | None) -> list[dict[str, Any]]:
    """Routes of `phase` (None = before the filesystem) whose `src` matches `path`."""
    current: str | None = None
    matched = []
    for route in routes:
        if "handle" in route:
            current = route["handle"]
            continue
        if current == phase and re.match(route["src"], path):
            matched.append(route)
    return matched


def test_unknown_paths_fall_back_to_index_html_after_the_files():
    routes = transformed_routes()
    for path in ("/", "/dashboard", "/bots/abc/settings"):
        (fallback,) = route_for(routes, path, "filesystem")
        assert fallback["dest"] == "/index.html", path


def test_security_headers_everywhere_and_immutable_assets():
    routes = transformed_routes()
    page = {k: v for r in route_for(routes, "/dashboard", None) for k, v in r["headers"].items()}
    for header in (
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
        "Content-Security-Policy",
    ):
        assert header in page, header
    assert "Cache-Control" not in page  # Vercel's default: revalidate HTML every time
    asset = {
        k: v
        for r in route_for(routes, "/assets/index-1a2b.js", None)
        for k, v in r["headers"].items()
    }
    assert asset["Cache-Control"] == "public, max-age=31536000, immutable"


def test_csp_lets_the_app_reach_the_api_over_https_and_websockets():
    headers = {h["key"]: h["value"] for h in config()["headers"][0]["headers"]}
    directives = dict(
        (part.split()[0], part.split()[1:])
        for part in headers["Content-Security-Policy"].split(";")
    )
    assert f"https://{API_ORIGIN}" in directives["connect-src"]
    assert f"wss://{API_ORIGIN}" in directives["connect-src"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]


def test_vercelignore_uploads_only_the_web_app():
    lines = [
        line
        for line in (REPO / ".vercelignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines[0] == "/*"
    assert {line for line in lines if line.startswith("!")} == {"!/web", "!/vercel.json"}
