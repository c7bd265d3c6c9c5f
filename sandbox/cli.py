"""The `cryptopilot sandbox` command: runs the offline Binance-like exchange."""

from __future__ import annotations

import argparse
import logging

from sandbox.settings import SandboxSettings

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `sandbox` sub-command."""
    defaults = SandboxSettings.from_env()
    parser = subparsers.add_parser(
        "sandbox",
        help="run the offline sandbox exchange (Binance spot REST subset)",
        description=(
            "Serve a deterministic simulated spot market over Binance's public REST API "
            "(/api/v3/...), so unmodified FreqTrade dry-run bots trade with no internet. "
            "Defaults come from CRYPTOPILOT_SANDBOX_* environment variables."
        ),
    )
    parser.add_argument("--host", help=f"interface to listen on (default {defaults.host})")
    parser.add_argument("--port", type=int, help=f"TCP port (default {defaults.port})")
    parser.add_argument(
        "--seed", type=int, help=f"seed of the price paths (default {defaults.seed})"
    )
    parser.add_argument(
        "--volatility",
        type=float,
        help=f"std of a 1-minute log return (default {defaults.volatility})",
    )
    parser.add_argument(
        "--markets",
        type=int,
        help=(
            "spot markets to list in all, extra deterministic USDT markets above the 36 "
            f"regular ones; 2000 is Binance-sized (default {defaults.markets})"
        ),
    )
    parser.add_argument(
        "--log-level", default=None, help=f"logging level (default {defaults.log_level})"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; returns the exit status."""
    from aiohttp import web

    from observability.logs import configure_logging
    from sandbox.server import create_app

    settings = SandboxSettings.from_env(
        host=args.host,
        port=args.port,
        seed=args.seed,
        volatility=args.volatility,
        markets=args.markets,
        log_level=args.log_level,
    )
    configure_logging(settings.log_level, settings.log_json, service="sandbox")
    logger.info(
        "sandbox exchange on http://%s:%s (%s)", settings.host, settings.port, settings.describe()
    )
    web.run_app(
        create_app(settings), host=settings.host, port=settings.port, print=None, access_log=None
    )
    return 0
