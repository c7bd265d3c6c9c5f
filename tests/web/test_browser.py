"""The web app in a real browser: Debian's Chromium (playwright-core) against `cryptopilot demo`.

One demo (sandbox, pool, gateway on SQLite, the Firebase Auth emulator) serves a fresh
`vite build` of web/; `web/e2e/browser.mjs` runs every scenario against it and saves a
screenshot of each page. With CRYPTOPILOT_UPDATE_SCREENSHOTS=1 the screenshots also replace
docs/screenshots/ (linked from the README).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.fixtures.debian import require_debian_tools
from tests.helpers import free_port, wait_until

REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "web"
BROWSER_SCRIPT = WEB / "e2e" / "browser.mjs"
DOCS_SCREENSHOTS = REPO / "docs" / "screenshots"
SCENARIOS_TIMEOUT = 900


def _unavailable(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} - required under CI=true", pytrace=False)
    pytest.skip(message)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _emulator_port() -> int:
    """A port P with P-1 and P-2 free too (the emulator's logging and hub ports)."""
    for _ in range(200):
        port = random.randint(30_000, 40_000)  # noqa: S311 - a port, not a secret
        if all(_port_is_free(port - offset) for offset in (0, 1, 2)):
            return port
    raise RuntimeError("no three free consecutive ports")


@dataclass
class Demo:
    url: str
    folder: Path
    output: list[str]

    def log_tail(self, name: str, lines: int = 60) -> str:
        path = self.folder / "logs" / f"{name}.log"
        try:
            return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@pytest.fixture(scope="module")
def built_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A production build of web/ (the lockfile's toolchain, installed by `make install`)."""
    if not (WEB / "node_modules" / ".bin" / "vite").exists():
        _unavailable("web/node_modules is missing: run `make install`")
    out = tmp_path_factory.mktemp("web") / "dist"
    done = subprocess.run(
        ["npx", "vite", "build", "--logLevel", "warn"],  # noqa: S607 - npx from the PATH
        cwd=WEB,
        env={**os.environ, "CRYPTOPILOT_WEB_OUT_DIR": str(out)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (out / "index.html").is_file()
    return out


@pytest.fixture(scope="module")
def demo(built_app: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("demo")
    gateway_port = free_port()
    args = [
        sys.executable,
        "-m",
        "cli.main",
        "demo",
        "--sandbox-port",
        str(free_port()),
        "--control-port",
        str(free_port()),
        "--api-port-min",
        str(20_000 + free_port() % 30_000),
        "--gateway-port",
        str(gateway_port),
        "--firebase-port",
        str(_emulator_port()),
        "--data-dir",
        str(folder),
        "--web-dir",
        str(built_app),
    ]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output: list[str] = []
    stdout = process.stdout
    assert stdout is not None
    reader = threading.Thread(target=lambda: output.extend(iter(stdout.readline, "")), daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{gateway_port}"
    try:
        wait_until(
            lambda: any("Press Ctrl-C" in line for line in output) or process.poll() is not None,
            timeout=240,
            interval=0.2,
            what="demo ready",
        )
        assert process.poll() is None, "".join(output)
        text = "".join(output)
        assert f"Open {url}/ in a browser" in text, text
        assert "sign up with Google" in text, text
        yield Demo(url, folder, output)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        reader.join(5)


@pytest.mark.e2e
def test_the_web_app_in_chromium(demo: Demo, tmp_path: Path) -> None:
    require_debian_tools({"chromium": "chromium"})
    chromium = shutil.which("chromium")
    assert chromium is not None
    screenshots = WEB / "e2e" / "out" / "screenshots"
    shutil.rmtree(screenshots, ignore_errors=True)
    env = {
        **os.environ,
        "E2E_BASE_URL": demo.url,
        "E2E_CHROMIUM": chromium,
        "E2E_SCREENSHOTS": str(screenshots),
        "E2E_DEMO_EMAIL": DEMO_EMAIL,
        "E2E_DEMO_PASSWORD": DEMO_PASSWORD,
    }
    done = subprocess.run(
        ["node", str(BROWSER_SCRIPT)],  # noqa: S607 - node from the PATH
        cwd=WEB,
        env=env,
        capture_output=True,
        text=True,
        timeout=SCENARIOS_TIMEOUT,
        check=False,
    )
    report = f"{done.stdout}\n{done.stderr}"
    assert done.returncode == 0, (
        f"{report}\n--- gateway log ---\n{demo.log_tail('gateway')}"
        f"\n--- pool log ---\n{demo.log_tail('pool', 30)}"
    )
    for scenario in ("new user", "google", "demo admin", "phone width"):
        assert f"PASS {scenario}" in done.stdout, report
    shots = sorted(path.name for path in screenshots.glob("*.png"))
    for page in ("login", "signup", "dashboard", "bots", "new-bot", "bot", "wallet"):
        assert f"{page}.png" in shots, shots
    if os.environ.get("CRYPTOPILOT_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for shot in screenshots.glob("*.png"):
            shutil.copy(shot, DOCS_SCREENSHOTS / shot.name)
