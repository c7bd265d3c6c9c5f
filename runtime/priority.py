"""Bot child side: once its first loop pass is done, a bot yields the CPU to starting bots.

A bot starting (FreqTrade's set-up, its API coming up, the first candles and analysis) and
the pool's control plane compete for the cores with every running bot's trading loop. A
running bot's pass is not latency-bound to the millisecond (it runs every few seconds), a
start is: hot add is measured until the bot's API answers. So each bot runs at the nice value
it inherited until its first pass has finished, then raises its own nice value to
`CRYPTOPILOT_POOL_BOT_NICE` (raising one's nice value needs no privilege; lowering it again
would, so it is done once, never undone).

Linux keeps a nice value per thread, so every thread of the process is set (threads started
later inherit their creator's). With the kernel's autogroup scheduling (the cgroup's CPU
controller at its root, the default outside containers) each session is scheduled as one
group and the thread values only order the threads inside it; a bot is a session of its own
(`os.setsid()`), so its autogroup's nice value is set too. In a container (its own cgroup)
autogroups do not apply and the thread values order the bots against the pool's supervisor.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

NICE_MAX = 19


def _proc(pid: int | None) -> Path:
    return Path("/proc") / ("self" if pid is None else str(pid))


def thread_nices(pid: int | None = None) -> dict[int, int]:
    """Each thread of a process (this one by default) and its nice value."""
    nices = {}
    for entry in (_proc(pid) / "task").iterdir():
        try:
            nices[int(entry.name)] = os.getpriority(os.PRIO_PROCESS, int(entry.name))
        except ProcessLookupError:  # the thread ended meanwhile
            continue
    return nices


def autogroup_nice(pid: int | None = None) -> int | None:
    """The nice value of a process's autogroup (`/autogroup-85 nice 0`); None without one."""
    try:
        text = (_proc(pid) / "autogroup").read_text()
    except OSError:
        return None
    _, _, value = text.rpartition(" nice ")
    return int(value) if value.strip().lstrip("-").isdigit() else None


def lower_priority(nice: int) -> int:
    """Raise every thread's nice value (and, in a session of its own, the autogroup's) to at
    least `nice`.

    Never lowers one that is already higher (an operator's `renice` wins). Returns how many
    threads were changed.
    """
    if not 0 < nice <= NICE_MAX:
        raise ValueError(f"nice must be 1..{NICE_MAX}, not {nice}")
    changed = 0
    for tid, current in thread_nices().items():
        if current < nice:
            try:
                os.setpriority(os.PRIO_PROCESS, tid, nice)
            except ProcessLookupError:
                continue
            changed += 1
    # The autogroup is the session's: only a session leader (a bot, after os.setsid()) owns it.
    group = autogroup_nice() if os.getsid(0) == os.getpid() else None
    if group is not None and group < nice:
        try:
            (_proc(None) / "autogroup").write_text(f"{nice}\n")
        except OSError as exc:  # the kernel rate-limits or refuses: threads are still set
            logger.warning("could not set the autogroup's nice value to %s: %s", nice, exc)
    return changed


def after_first_pass(nice: int) -> Callable[[Any], None]:
    """A loop-pass callback (runtime/liveness/hook.py) that lowers the priority once."""
    done = False

    def callback(bot: Any) -> None:
        nonlocal done
        if done:
            return
        done = True
        changed = lower_priority(nice)
        logger.info("first loop pass done: %s threads now at nice %s", changed, nice)

    return callback
