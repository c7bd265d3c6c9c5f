"""Validation before publishing: A's `runtime.strategycheck` run on the candidate tree.

The candidate (the store's files with the change applied) is written to a temporary folder and
checked in a separate process with CPU, memory and wall limits; the gateway only reads the
report. Nothing is committed unless every strategy the change touches passed.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gateway.errors import BadInput, Unavailable
from runtime.strategycheck import Limits, Report, check

logger = logging.getLogger(__name__)


class StrategyRefused(BadInput):
    """422: the strategy failed validation; `reports` says why (stored nowhere, published never)."""

    status = 422
    default_code = "STRATEGY_INVALID"

    def __init__(self, message: str, reports: list[dict[str, Any]]) -> None:
        super().__init__(message, extra={"reports": reports, "report": reports[0]})
        self.reports = reports


class Validator:
    """Runs the check of one strategy in a tree of files against the sandbox market."""

    def __init__(self, market_url: str, limits: Limits) -> None:
        self.market_url = market_url
        self.limits = limits

    async def check(self, files: Mapping[str, str], strategy: str) -> Report:
        if not self.market_url:
            raise Unavailable(
                "Strategies cannot be validated: CRYPTOPILOT_MARKET_URL is not set",
                "VALIDATION_UNAVAILABLE",
            )
        with tempfile.TemporaryDirectory(prefix="strategycheck-") as folder:
            root = Path(folder)
            for relative, text in files.items():
                target = root / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            report = await check(root, strategy, self.market_url, limits=self.limits)
        logger.info(
            "strategy %s checked: passed=%s in %.1fs", strategy, report.passed, report.duration_s
        )
        return report
