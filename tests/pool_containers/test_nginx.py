"""pool_containers/nginx/cryptopilot-api.conf: `nginx -t`, and nginx in front of a real gateway."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests import certs
from tests.helpers import async_wait_until, free_port, wait_until
from tests.pool_containers.tools import POOL_CONTAINERS, VENV_BIN, debian_tool

SITE = POOL_CONTAINERS / "nginx" / "cryptopilot-api.conf"
HOST = "api.crypto-pilot.dev"
CERT = f"/etc/letsencrypt/live/{HOST}/fullchain.pem"
KEY = f"/etc/letsencrypt/live/{HOST}/privkey.pem"
STREAM_PATHS = ("/api/stream", "/api/freqtrade/stream", "/api/freqtrade/api/stream")
CLIENT_ADDRESS = "127.0.0.2"  # loopback, but not nginx's own address towards the gateway
SPOOFED = "203.0.113.9"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A throw-away certificate for the API host and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = certs.self_signed(key, HOST, dns_name=True)
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def nginx_conf(folder: Path, site: str) -> Path:
    """A minimal nginx.conf that includes `site` (written next to it), all state in folder."""
    cert, key = self_signed(folder)
    (folder / "site.conf").write_text(site.replace(CERT, str(cert)).replace(KEY, str(key)))
    (folder / "tmp").mkdir()
    conf = folder / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers read this test's 0700 folders
    conf.write_text(
        f"""{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/tmp/body;
    proxy_temp_path {folder}/tmp/proxy;
    fastcgi_temp_path {folder}/tmp/fastcgi;
    uwsgi_temp_path {folder}/tmp/uwsgi;
    scgi_temp_path {folder}/tmp/scgi;
    include {folder}/site.conf;
}}
"""
    )
    return conf


def nginx_test(conf: Path) -> subprocess.CompletedProcess[str]:
    nginx = debian_tool("nginx", "nginx")
    return subprocess.run(
        [nginx, "-t", "-c", str(conf), "-p", str(conf.parent)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def locations(text: str) -> dict[str, str]:
    """`location MATCH { BODY }` blocks of the site (no nested braces in them)."""
    text = re.sub(r"#.*", "", text)
    return {
        m.group(1).strip(): m.group(2) for m in re.finditer(r"location ([^{]+)\{([^}]*)\}", text)
    }


def test_site_passes_nginx_t(tmp_path: Path):
    result = nginx_test(nginx_conf(tmp_path, SITE.read_text()))
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_t_catches_a_broken_site(tmp_path: Path):
    broken = SITE.read_text().replace("proxy_buffering off;", "proxy_buffering sometimes;", 1)
    result = nginx_test(nginx_conf(tmp_path, broken))
    assert result.returncode == 1
    assert "proxy_buffering" in result.stderr


def test_stream_and_websocket_locations_are_unbuffered_with_long_timeouts():
    blocks = locations(SITE.read_text())
    (stream_match,) = [match for match in blocks if "stream" in match]
    pattern = re.compile(stream_match.removeprefix("~").strip())
    assert all(pattern.search(path) for path in STREAM_PATHS)
    assert not pattern.search("/api/freqtrade/bots")
    for match in (stream_match, "/ws"):
        body = blocks[match]
        assert "proxy_buffering off;" in body, match
        assert "proxy_read_timeout 1h;" in body, match
    assert "proxy_set_header Upgrade $http_upgrade;" in blocks["/ws"]
    # A location with its own proxy_set_header inherits none: the client address is repeated.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in blocks["/ws"]


def test_site_replaces_x_forwarded_for_and_limits_bodies():
    text = SITE.read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text
    assert "$proxy_add_x_forwarded_for" not in text.replace("($proxy_add_x_forwarded_for)", "")
    assert "client_max_body_size 1m;" in text
    assert "return 301 https://$host$request_uri;" in text


@dataclass
class Stack:
    http: int
    https: int
    gateway: subprocess.Popen[bytes]


@pytest.fixture
def nginx_and_gateway(tmp_path: Path) -> Iterator[Stack]:
    """A real gateway (SQLite) behind nginx with this site, on free loopback ports."""
    gateway_port, http, https = free_port(), free_port(), free_port()
    site = SITE.read_text()
    site = re.sub(r"^\s*listen \[::\].*\n", "", site, flags=re.M)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http};")
    site = site.replace("listen 443 ssl", f"listen 127.0.0.1:{https} ssl")
    site = site.replace("server 127.0.0.1:8080;", f"server 127.0.0.1:{gateway_port};")
    conf = nginx_conf(tmp_path, site)
    env = {
        **os.environ,
        "CRYPTOPILOT_ENV": "test",
        "CRYPTOPILOT_PORT": str(gateway_port),
        "CRYPTOPILOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gateway.sqlite3'}",
        "CRYPTOPILOT_JWT_SECRET": "nginx-test-" + "x" * 32,
        "CRYPTOPILOT_BCRYPT_ROUNDS": "4",
        "CRYPTOPILOT_TRUST_FORWARDED_FOR": "true",
        "CRYPTOPILOT_STREAM_INTERVAL": "0.5",
        "CRYPTOPILOT_STREAM_PING_INTERVAL": "0.5",
        "CRYPTOPILOT_POOL_HEALTH_INTERVAL": "0",
        "CRYPTOPILOT_RECONCILE_INTERVAL": "0",
        "CRYPTOPILOT_TRADE_MONITOR_INTERVAL": "0",
        "CRYPTOPILOT_SNAPSHOT_INTERVAL": "0",
    }
    log = (tmp_path / "gateway.log").open("wb")
    gateway = subprocess.Popen(
        [str(VENV_BIN / "cryptopilot"), "gateway"], env=env, stdout=log, stderr=log
    )
    nginx = subprocess.Popen(
        [debian_tool("nginx", "nginx"), "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    try:
        wait_until(
            lambda: (
                subprocess.run(
                    ["curl", "-fsk", f"https://127.0.0.1:{https}/api/health"], capture_output=True
                ).returncode
                == 0
            ),
            timeout=60,
            what="the gateway answering through nginx",
        )
        yield Stack(http, https, gateway)
    finally:
        for process in (nginx, gateway):
            process.terminate()
        for process in (nginx, gateway):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
        print((tmp_path / "gateway.log").read_text()[-3000:], file=sys.stderr)


def client_session() -> aiohttp.ClientSession:
    """A client connecting from CLIENT_ADDRESS, not checking the test certificate."""
    connector = aiohttp.TCPConnector(ssl=False, local_addr=(CLIENT_ADDRESS, 0))
    return aiohttp.ClientSession(connector=connector)


@pytest.mark.e2e
async def test_nginx_in_front_of_a_real_gateway(nginx_and_gateway: Stack):
    base = f"https://127.0.0.1:{nginx_and_gateway.https}"
    async with client_session() as session:
        # Plain HTTP only redirects.
        async with session.get(
            f"http://127.0.0.1:{nginx_and_gateway.http}/api/health?x=1", allow_redirects=False
        ) as response:
            assert response.status == 301
            assert response.headers["Location"].endswith("/api/health?x=1")
            assert response.headers["Location"].startswith("https://")

        # The client's own address reaches the gateway; what it claims in X-Forwarded-For not.
        spoof = {"X-Forwarded-For": SPOOFED}
        account = {"username": "nginx", "email": "nginx@example.com", "password": "pw-" + "x" * 9}
        async with session.post(f"{base}/api/auth/register", json=account, headers=spoof) as r:
            assert r.status == 201, await r.text()
        login = {"email": account["email"], "password": account["password"]}
        async with session.post(f"{base}/api/auth/login", json=login, headers=spoof) as r:
            assert r.status == 200, await r.text()
            token = (await r.json())["token"]
        auth = {"Authorization": f"Bearer {token}", **spoof}
        async with session.get(f"{base}/api/account/sessions", headers=auth) as r:
            assert r.status == 200, await r.text()
            (login_session,) = (await r.json())["data"]
        assert login_session["ip"] == CLIENT_ADDRESS

        # Bodies over client_max_body_size stop at nginx.
        async with session.post(f"{base}/api/auth/login", data=b"x" * (2 * 1024 * 1024)) as r:
            assert r.status == 413

        # Server-sent events arrive one by one while the stream stays open.
        for path in STREAM_PATHS:
            await _events_arrive_unbuffered(session, f"{base}{path}?token={token}")


async def _events_arrive_unbuffered(session: aiohttp.ClientSession, url: str) -> None:
    async with session.get(url, timeout=aiohttp.ClientTimeout(total=30)) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        arrivals: list[tuple[float, bytes]] = []

        async def two_portfolio_batches() -> bool:
            line = await response.content.readline()
            if line.startswith((b"event:", b":")):
                arrivals.append((time.monotonic(), line.strip()))
            return [name for _, name in arrivals].count(b"event: portfolio") >= 2

        await async_wait_until(
            two_portfolio_batches, timeout=20, interval=0, what=f"2 portfolio events on {url}"
        )
    assert arrivals[0][1] == b"event: connected"
    first, second = [at for at, name in arrivals if name == b"event: portfolio"]
    # Pushed every 0.5 s and read while the stream is open: nginx passed the first batch on
    # before the second existed (buffered, both would arrive together, or only at the end).
    assert second - first >= 0.3, arrivals
