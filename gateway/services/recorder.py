"""What services report to the gateway's metrics, without knowing Prometheus or HTTP.

`gateway.metrics.GatewayMetrics` implements `Recorder`; services take one in their
constructor and call it where the event happens. Label values are the fixed sets below, so
the metrics stay of bounded cardinality (never a user id, bot id or free text).
"""

from __future__ import annotations

from typing import Final, Protocol

# Every `action` the reconciler writes to `reconcile_actions` (services/pools/reconciler.py).
RECONCILER_ACTIONS: Final = (
    "readded",
    "started",
    "stopped",
    "resumed_provisioning",
    "marked_unreachable",
    "removed_orphan",
    "removed_from_state",
    "problem_unreachable",
    "problem_failed",
)
# Why the trade monitor paused a bot (gateway/services/risk/monitor.py).
PAUSE_REASONS: Final = ("daily_loss", "emergency_stop")


class Recorder(Protocol):
    """Counts the events of the background services."""

    def reconciler_action(self, action: str) -> None: ...
    def trade_monitor_pause(self, reason: str) -> None: ...
    def trade_monitor_emergency_stop(self) -> None: ...


class Unrecorded:
    """A `Recorder` that keeps nothing (command-line tools, which export no metrics)."""

    def reconciler_action(self, action: str) -> None:
        return None

    def trade_monitor_pause(self, reason: str) -> None:
        return None

    def trade_monitor_emergency_stop(self) -> None:
        return None


UNRECORDED: Final = Unrecorded()
