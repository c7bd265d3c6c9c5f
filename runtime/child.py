"""Code that runs inside a bot's process, forked from the warm forkserver.

Imported by the supervisor only to name these functions as targets: FreqTrade is imported
inside them (already loaded in the forkserver), never at module level.
"""

from __future__ import annotations

import ctypes
import faulthandler
import gc
import importlib
import logging
import os
import random
import signal
import sys
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import Any

from observability.logs import configure_file_logging
from runtime import exit_report
from runtime.launch import LaunchSpec

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
EXIT_ORPHANED = 70
EXIT_FREQTRADE_ERROR = 2


def probe_warm(reply: Connection | None = None) -> None:
    """Exit 0 if this process was forked from a warm, frozen forkserver; else say why.

    With `reply`, also send what the warm parent shares besides its imports (`warm_report`).
    """
    warm = sys.modules.get("runtime.warm")
    if warm is None or not getattr(warm, "WARMED", False):
        try:
            importlib.import_module("runtime.warm")
        except BaseException:
            traceback.print_exc()
            sys.exit(3)
        print("runtime.warm imports fine here but the forkserver did not preload it", flush=True)
        sys.exit(4)
    if gc.get_freeze_count() == 0:
        sys.exit(5)
    if reply is not None:
        reply.send(warm_report(warm))
        reply.close()


def warm_report(warm: Any) -> dict[str, Any]:
    """The warm parent's shared markets (exchange, count, load time) and whether its memory
    is mergeable (KSM), as plain values."""
    shared = getattr(warm, "SHARED_MARKETS", None)
    ksm = bool(getattr(warm, "KSM_MERGE", False))
    if shared is None:
        return {"markets": 0, "ksm": ksm}
    return {
        "ksm": ksm,
        "exchange": shared.id,
        "markets": len(shared.markets),
        "loaded_at_ms": shared.loaded_at_ms,
        "load_seconds": round(shared.load_seconds, 3),
    }


def _die_with_parent() -> None:
    """Have the kernel SIGKILL us when the forkserver dies; close the race by checking."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    warm = sys.modules.get("runtime.warm")
    expected = getattr(warm, "WARM_PID", None)
    if expected is not None and os.getppid() != expected:
        os._exit(EXIT_ORPHANED)  # the parent died before prctl took effect


def _drop_forkserver_alive_fd() -> None:
    """Close our copy of the supervisor's "alive" pipe.

    multiprocessing hands every forkserver child the pipe's write end, and the forkserver
    only exits when all copies close: a bot holding it would keep the forkserver (its
    parent) alive after the supervisor died, so PDEATHSIG would never fire.
    """
    from multiprocessing import forkserver

    server = forkserver._forkserver
    fd = getattr(server, "_forkserver_alive_fd", None)
    if fd is not None:
        os.close(fd)
        server._forkserver_alive_fd = None  # type: ignore[attr-defined]


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # FreqTrade's own handler does the same once it runs: Ctrl-C path = graceful cleanup.
    raise KeyboardInterrupt


def _dump_stacks_on_sigusr2() -> None:
    """`kill -USR2 <bot pid>` writes every thread's stack to the bot's stdio.log.

    For a bot that looks stuck (API silent, no new log lines): the stacks show where its
    trading loop and API threads wait, and the bot carries on afterwards.
    """
    faulthandler.register(signal.SIGUSR2, file=sys.stderr, all_threads=True, chain=False)


def _on_sigusr1(signum: int, frame: FrameType | None) -> None:
    # Operators' and the benchmark's hook: a full collection now, to see steady-state memory.
    gc.collect()


def _reset_signals() -> None:
    for sig in (signal.SIGHUP, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    # As in any Python process: a peer that hangs up mid-answer is a BrokenPipeError for the
    # API server to handle, not a signal that kills the bot (it did, under load).
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGUSR1, _on_sigusr1)


def _redirect_stdio(path: str) -> None:
    """Send stray prints and C-level output to the bot's own file, not the supervisor's."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _configure_logging(launch: LaunchSpec) -> None:
    """Drop inherited handlers; log to the bot's size-rotated file in the pool's format.

    FreqTrade's `log_config` (runtime/botconfig.py) is incremental, so its `setup_logging`
    keeps this handler and only sets its loggers' levels.
    """
    configure_file_logging(
        Path(launch.log_path),
        json_logs=launch.log_json,
        max_bytes=launch.log_max_bytes,
        backups=launch.log_backups,
        fixed={
            "service": "bot",
            "pool": launch.pool_id,
            "bot_id": launch.bot_id,
            "user_id": launch.owner,
        },
    )


def _reseed() -> None:
    """Forked children share the parent's RNG state; give each bot its own."""
    import numpy

    random.seed()
    numpy.random.seed(int.from_bytes(os.urandom(4), "little"))


def _run_freqtrade(launch: LaunchSpec) -> int:
    """Run `freqtrade trade -c <config>` as a library call; SIGTERM -> graceful cleanup."""
    from freqtrade.commands import Arguments
    from freqtrade.system import gc_set_threshold

    from runtime.botconfig import write_exchange_file

    argv = ["trade", "--config", launch.exchange_path, "--config", launch.config_path]
    try:
        write_exchange_file(launch.exchange_path, launch.exchange, list(launch.pairs))
        args: dict[str, Any] = Arguments(argv).get_parsed_arg()
        gc_set_threshold()
        return int(args["func"](args))
    except KeyboardInterrupt:
        logger.info("SIGTERM/SIGINT received, stopped")
        return 0
    except Exception as exc:
        logger.exception("FreqTrade failed")
        exit_report.write(launch.error_path, exc)
        return EXIT_FREQTRADE_ERROR


def run_bot(launch: LaunchSpec) -> None:
    """Entry point of a bot process: isolate it, then run FreqTrade until told to stop."""
    os.setsid()
    _drop_forkserver_alive_fd()
    _die_with_parent()
    _reset_signals()
    _redirect_stdio(launch.stdio_path)
    _dump_stacks_on_sigusr2()
    _configure_logging(launch)
    _reseed()
    exit_report.reserve(launch.error_path)
    from runtime import apitick
    from runtime.liveness import hook
    from runtime.markets import hook as markets_hook

    after_pass = None
    if launch.nice_after_start:
        from runtime import priority

        after_pass = priority.after_first_pass(launch.nice_after_start)
    hook.install(launch.heartbeat_path, launch.bot_dir, after_pass)
    apitick.install()
    markets_hook.install(launch.exchange)
    warm = sys.modules.get("runtime.warm")
    logger.info(
        "bot process %s forked from warm parent %s (preloaded: %s)",
        os.getpid(),
        os.getppid(),
        bool(getattr(warm, "WARMED", False)),
    )
    sys.exit(_run_freqtrade(launch))
