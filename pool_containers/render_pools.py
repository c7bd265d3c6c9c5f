#!/usr/bin/env python3
"""Write the pool-1..pool-N services of compose.yml.

Compose cannot give each replica of one scaled service its own volume or its own ports, and a
pool must keep both across re-creations (its bots' databases live in its volume; the gateway
knows its bots by pool id and port). So every pool is its own service, made from the `x-pool`
template of compose.yml, and this script writes those services from one number:
`CRYPTOPILOT_POOL_COUNT` (from the environment, else pool_containers/.env, else 2) or
`--count N`. Only the blocks between the `>>> pools` and `<<< pools` markers are rewritten.
Prometheus finds the pools through the gateway (`http_sd_configs` in
monitoring/prometheus.yml), so no other file lists them.

Pools share one network namespace with the gateway (the gateway calls each bot's REST API on
127.0.0.1, see runtime/status.py), so each pool gets its own control port and bot port range:
pool k listens on 18080+k-1 and hands its bots 18100+100(k-1) .. 18199+100(k-1).

Standard library only: it runs on a bare VPS (deploy.sh calls it before `docker compose up`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COUNT_VARIABLE = "CRYPTOPILOT_POOL_COUNT"
DEFAULT_COUNT = 2
MAX_COUNT = 20  # control ports 18080..18099 stay below the first bot port, 18100
CONTROL_PORT = 18080
API_PORT = 18100
PORTS_PER_POOL = 100
BEGIN = "# >>> pools"
END = "# <<< pools"


def control_port(index: int) -> int:
    """Control (RPC) port of pool `index` (1-based)."""
    return CONTROL_PORT + index - 1


def api_ports(index: int) -> tuple[int, int]:
    """First and last bot API port of pool `index` (1-based)."""
    first = API_PORT + PORTS_PER_POOL * (index - 1)
    return first, first + PORTS_PER_POOL - 1


def service_block(count: int) -> str:
    """The pool services, indented for the `services:` mapping."""
    blocks = []
    for index in range(1, count + 1):
        first, last = api_ports(index)
        url = f"http://127.0.0.1:{control_port(index)}"
        blocks.append(
            f"""  pool-{index}:
    <<: *pool
    environment:
      <<: *pool-env
      CRYPTOPILOT_POOL_POOL_ID: pool-{index}
      CRYPTOPILOT_POOL_CONTROL_PORT: "{control_port(index)}"
      CRYPTOPILOT_POOL_API_PORT_MIN: "{first}"
      CRYPTOPILOT_POOL_API_PORT_MAX: "{last}"
      CRYPTOPILOT_POOL_PUBLIC_URL: {url}
      CRYPTOPILOT_POOL_URL: {url}  # read by the health check (`cryptopilot pool health`)
    volumes:
      - pool-{index}-data:/data
"""
        )
    return "".join(blocks)


def volume_block(count: int) -> str:
    """The pools' named volumes, indented for the top-level `volumes:` mapping."""
    return "".join(f"  pool-{index}-data:\n" for index in range(1, count + 1))


def replace_blocks(text: str, blocks: list[str]) -> str:
    """`text` with the n-th marked block replaced by `blocks[n]` (markers kept)."""
    out: list[str] = []
    rest = text
    for block in blocks:
        head, begin, tail = rest.partition(BEGIN)
        line_end = tail.index("\n") + 1
        _, end, rest = tail[line_end:].partition(END)
        if not begin or not end:
            raise ValueError(f"missing {BEGIN!r} … {END!r} markers")
        indent = head[head.rfind("\n") + 1 :]
        out.append(head + begin + tail[:line_end] + block + indent + end)
    if BEGIN in rest:
        raise ValueError("more marked blocks than expected")
    return "".join(out) + rest


def count_from(folder: Path, environ: dict[str, str]) -> int:
    """`CRYPTOPILOT_POOL_COUNT` from the environment, else from folder/.env, else the default."""
    raw = environ.get(COUNT_VARIABLE)
    env_file = folder / ".env"
    if raw is None and env_file.is_file():
        for line in env_file.read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and name.strip() == COUNT_VARIABLE:
                raw = value.strip().strip("\"'")
    return DEFAULT_COUNT if raw is None else int(raw)


def render(folder: Path, count: int) -> dict[Path, str]:
    """The new text of compose.yml for `count` pools."""
    if not 1 <= count <= MAX_COUNT:
        raise ValueError(f"{COUNT_VARIABLE} must be between 1 and {MAX_COUNT}, not {count}")
    compose = folder / "compose.yml"
    return {
        compose: replace_blocks(compose.read_text(), [service_block(count), volume_block(count)]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, help=f"number of pools (default ${COUNT_VARIABLE})")
    parser.add_argument("--dir", type=Path, default=HERE, help="the pool_containers folder")
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 when a file is out of date"
    )
    args = parser.parse_args(argv)
    count = args.count if args.count is not None else count_from(args.dir, dict(os.environ))
    try:
        files = render(args.dir, count)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stale = [path for path, text in files.items() if path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"{path} is not rendered for {count} pools", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(files[path])
    print(f"{count} pools: {', '.join(str(p) for p in stale) or 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
