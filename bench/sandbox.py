"""The sandbox exchange as the benchmarks run it: a subprocess on a free port, waited for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.helpers import async_wait_until, free_port

REPO = Path(__file__).resolve().parents[1]


async def start_sandbox(work: Path, markets: int = 0) -> tuple[subprocess.Popen[bytes], str]:
    """Start `python -m sandbox` (log in `work/sandbox.log`) listing `markets` markets (0 = the
    regular ones); return it and its URL once up."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with (work / "sandbox.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "--port", str(port), "--markets", str(markets)],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    async with aiohttp.ClientSession() as session:

        async def answers() -> bool:
            async with session.get(f"{url}/api/v3/ping") as response:
                return response.status == 200

        await async_wait_until(answers, timeout=30, what="sandbox up")
    return process, url
