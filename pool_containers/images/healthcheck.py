#!/usr/bin/env python3
"""The images' HEALTHCHECK: GET the service's health route on loopback; exit 0 on 200.

`healthcheck.py pool` asks the pool's control API (`GET /health`, Bearer token) and
`healthcheck.py gateway` the gateway (`GET /api/health`, public). Port and token come from the
container's environment at run time (`CRYPTOPILOT_POOL_CONTROL_PORT`, `CRYPTOPILOT_POOL_TOKEN`,
`CRYPTOPILOT_PORT`), so no secret is baked into the image. Standard library only: a probe
every 30 s must not pay for importing the application.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

# Defaults of runtime/settings.py (control_port) and gateway/settings.py (port).
POOL_PORT = "18080"
GATEWAY_PORT = "8080"
TIMEOUT_SECONDS = 4


def _request(service: str) -> urllib.request.Request:
    if service == "pool":
        port = os.environ.get("CRYPTOPILOT_POOL_CONTROL_PORT", POOL_PORT)
        token = os.environ.get("CRYPTOPILOT_POOL_TOKEN", "")
        return urllib.request.Request(
            f"http://127.0.0.1:{port}/health", headers={"Authorization": f"Bearer {token}"}
        )
    port = os.environ.get("CRYPTOPILOT_PORT", GATEWAY_PORT)
    return urllib.request.Request(f"http://127.0.0.1:{port}/api/health")


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in {"pool", "gateway"}:
        print("usage: healthcheck.py pool|gateway", file=sys.stderr)
        return 2
    request = _request(argv[1])
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        print(f"unhealthy: {request.full_url}: {exc}", file=sys.stderr)
        return 1
    print(f"{request.full_url}: HTTP {status}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
