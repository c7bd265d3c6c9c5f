"""Prometheus view of the bots' loops: heartbeat age, pass duration, stalls, trades, profit."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from runtime.status import PoolSnapshot


class LivenessCollector(Collector):
    """Reads the heartbeats held in one pool snapshot."""

    def __init__(self, pool: PoolSnapshot) -> None:
        self.pool = pool

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        labels = ["pool", "bot_id"]
        now = time.time()
        age = GaugeMetricFamily(
            "cryptopilot_bot_heartbeat_age_seconds",
            "Seconds since the bot's last FreqTrade loop pass (absent before the first)",
            labels=labels,
        )
        loop = GaugeMetricFamily(
            "cryptopilot_bot_loop_duration_seconds", "Duration of the last loop pass", labels=labels
        )
        throttle = GaugeMetricFamily(
            "cryptopilot_bot_throttle_seconds",
            "The bot's process_throttle_secs (a pass is due this often)",
            labels=labels,
        )
        trades = GaugeMetricFamily(
            "cryptopilot_bot_open_trades", "Open trades, as of the last pass", labels=labels
        )
        profit = GaugeMetricFamily(
            "cryptopilot_bot_closed_profit",
            "FreqTrade's total closed profit, in the bot's stake currency",
            labels=labels,
        )
        stalled = GaugeMetricFamily(
            "cryptopilot_bot_stalled", "1 while the bot's loop is stalled", labels=labels
        )
        restarts = CounterMetricFamily(
            "cryptopilot_bot_stall_restarts",
            "Restarts of the bot by the stall watchdog",
            labels=labels,
        )
        for bot in self.pool.bots:
            key = [self.pool.pool_id, bot.bot_id]
            stalled.add_metric(key, 1.0 if bot.stalled else 0.0)
            restarts.add_metric(key, bot.stall_restarts)
            beat = bot.heartbeat
            if beat is None:
                continue
            age.add_metric(key, max(now - beat.at, 0.0))
            loop.add_metric(key, beat.loop_s)
            throttle.add_metric(key, beat.throttle_s)
            trades.add_metric(key, beat.open_trades)
            profit.add_metric(key, beat.closed_profit)
        yield from (age, loop, throttle, trades, profit, stalled, restarts)
