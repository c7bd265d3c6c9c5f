"""Where a process spends its CPU: py-spy samples sorted into the parts of a bot's work.

`record` runs `py-spy record --gil --nonblocking` on each process at once (samples only while
a thread holds the GIL, so waiting on I/O or the throttle's sleep is not counted; time in C
code that releases the GIL is missed) and `breakdown` attributes every sample to the first
category of `CATEGORIES` that any frame of its stack matches: so "our summary" includes the
FreqTrade RPC calls it makes, "exits" the SQL they run, and the worker only what is left.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

# (category, substrings of a py-spy frame "function (file:line)"); the first that matches wins.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "our summary + heartbeat",
        ("runtime/summary/", "runtime/liveness/heartbeat.py", "_figures ("),
    ),
    ("REST API thread", ("UvicornServer.run",)),
    ("candles: fetch + refresh", ("DataProvider.refresh",)),
    ("strategy analysis", ("IStrategy.analyze (",)),
    ("open orders", ("manage_open_orders",)),
    ("exits: rates, ROI, stoploss", ("exit_positions",)),
    ("entries", ("enter_positions",)),
    ("rest of the FreqTrade pass", ("FreqtradeBot.process (",)),
    ("FreqTrade's worker (throttle, state)", ("freqtrade/worker.py",)),
    ("garbage collection (bench's SIGUSR1)", ("_on_sigusr1",)),
)
OTHER = "other"


def py_spy() -> str:
    """The py-spy binary of this environment (a dev dependency)."""
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise FileNotFoundError("py-spy is not installed (make install installs it)")
    return found


async def record(pids: Iterable[int], seconds: float, rate: int = 100) -> Counter[str]:
    """Folded stacks ("frame;frame;... count") of every process, sampled together."""
    binary = py_spy()
    stacks: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as folder:
        outputs = {pid: Path(folder) / f"{pid}.txt" for pid in pids}
        runs = [
            await asyncio.create_subprocess_exec(
                binary,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(round(seconds)),
                "--rate",
                str(rate),
                "--gil",
                "--nonblocking",
                "--format",
                "raw",
                "--output",
                str(output),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            for pid, output in outputs.items()
        ]
        await asyncio.gather(*(run.wait() for run in runs))
        for output in outputs.values():
            if output.exists():
                stacks.update(parse(output.read_text()))
    return stacks


def parse(folded: str) -> Counter[str]:
    """py-spy's raw format: one "stack count" line per distinct stack."""
    stacks: Counter[str] = Counter()
    for line in folded.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    return stacks


def category_of(stack: str) -> str:
    """The first category with a frame in `stack`, else "other"."""
    frames = stack.split(";")
    for name, needles in CATEGORIES:
        if any(needle in frame for frame in frames for needle in needles):
            return name
    return OTHER


def breakdown(stacks: Counter[str]) -> dict[str, float]:
    """Each category's share of all samples (0..1), largest first; {} without samples."""
    total = sum(stacks.values())
    if not total:
        return {}
    shares: Counter[str] = Counter()
    for stack, count in stacks.items():
        shares[category_of(stack)] += count
    return {name: count / total for name, count in shares.most_common()}
