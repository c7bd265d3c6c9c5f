"""Stands in for `docker compose` in the deploy.sh tests: `up -d` starts a real health route.

deploy.sh runs it as DOCKER_COMPOSE in pool_containers/ (its working folder). Every call is
appended to calls.log with the image tag .env names at that moment; `up -d` (re)starts an
HTTP server on CRYPTOPILOT_GATEWAY_PORT whose GET /api/health answers 200 when that tag is
in $STANDIN_HEALTHY_TAGS and 503 otherwise, as a gateway that starts or does not would.
"""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path.cwd()
PID_FILE = HERE / "standin-server.pid"


def env_value(name: str) -> str:
    values = [
        line.split("=", 1)[1]
        for line in (HERE / ".env").read_text().splitlines()
        if line.startswith(name + "=")
    ]
    return values[-1] if values else ""


def serve(port: int, healthy: bool) -> None:
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            ok = self.path == "/api/health" and healthy
            self.send_response(200 if ok else 503)
            self.end_headers()
            self.wfile.write(b'{"status": "ok"}' if ok else b'{"status": "starting"}')

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    http.server.HTTPServer(("127.0.0.1", port), Health).serve_forever()


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie no longer holds its port; its reaper may be slow)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(") ")[2][:1] != "Z"


def stop(pid: int) -> None:
    """SIGTERM `pid` and wait until it is gone (its port is free again)."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while alive(pid):
        if time.monotonic() > deadline:
            raise TimeoutError(f"health server {pid} did not stop")
        time.sleep(0.05)


def up() -> None:
    if PID_FILE.exists():  # the old "containers" go first, as compose replaces them
        stop(int(PID_FILE.read_text()))
    tag = env_value("CRYPTOPILOT_IMAGE_TAG")
    healthy = tag in os.environ.get("STANDIN_HEALTHY_TAGS", "").split()
    server = subprocess.Popen(
        [sys.executable, __file__, "serve", env_value("CRYPTOPILOT_GATEWAY_PORT"), str(healthy)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    PID_FILE.write_text(str(server.pid))


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"]:
        serve(int(argv[1]), argv[2] == "True")
        return 0
    with (HERE / "calls.log").open("a") as log:
        log.write(f"{' '.join(argv)} @ {env_value('CRYPTOPILOT_IMAGE_TAG')}\n")
    if argv[:2] == ["up", "-d"]:
        up()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
