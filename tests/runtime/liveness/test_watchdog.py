"""The stall rule: when a running bot's loop counts as stalled, and when it is restarted."""

from __future__ import annotations

from runtime.liveness.heartbeat import Heartbeat
from runtime.liveness.watchdog import Liveness, StallRule, check

RULE = StallRule(factor=6, min_seconds=60, grace_seconds=30)
PID = 4242


def beat(at: float, throttle: float = 5.0, pid: int = PID) -> Heartbeat:
    return Heartbeat(
        at=at,
        loop_s=0.2,
        pairs=2,
        open_trades=1,
        closed_profit=1.5,
        throttle_s=throttle,
        state="running",
        pid=pid,
    )


def test_limit_is_factor_times_throttle_but_never_below_the_minimum() -> None:
    assert RULE.limit(5) == 60
    assert RULE.limit(20) == 120


def test_fresh_heartbeat_is_ok_and_kept() -> None:
    live = Liveness()
    verdict = check(live, beat(1000.0), pid=PID, uptime_s=500, now=1010.0, rule=RULE)
    assert verdict.action == "ok" and verdict.age_s == 10.0 and verdict.throttle_s == 5.0
    assert live.last is not None and not live.stalled


def test_stalled_then_grace_then_restart_with_reason() -> None:
    live = Liveness()
    last = beat(1000.0)
    assert check(live, last, pid=PID, uptime_s=500, now=1060.0, rule=RULE).action == "ok"
    stalled = check(live, last, pid=PID, uptime_s=500, now=1061.0, rule=RULE)
    assert stalled.action == "stalled" and live.stalled
    assert check(live, last, pid=PID, uptime_s=500, now=1090.0, rule=RULE).action == "waiting"
    restart = check(live, last, pid=PID, uptime_s=500, now=1091.0, rule=RULE)
    assert restart.action == "restart"
    assert restart.reason == "stalled: no loop pass for 91s (throttle 5s)"
    assert live.stall_restarts == 1 and not live.stalled
    assert live.history == [restart.reason]


def test_a_pass_during_grace_clears_the_stall() -> None:
    live = Liveness()
    check(live, beat(1000.0), pid=PID, uptime_s=500, now=1070.0, rule=RULE)
    assert live.stalled
    verdict = check(live, beat(1075.0), pid=PID, uptime_s=500, now=1076.0, rule=RULE)
    assert verdict.action == "recovered" and not live.stalled and live.stall_restarts == 0


def test_long_throttle_raises_the_limit() -> None:
    live = Liveness()
    last = beat(1000.0, throttle=30.0)
    assert check(live, last, pid=PID, uptime_s=900, now=1170.0, rule=RULE).action == "ok"
    assert check(live, last, pid=PID, uptime_s=900, now=1181.0, rule=RULE).action == "stalled"


def test_before_the_first_pass_the_time_since_spawn_counts() -> None:
    live = Liveness()
    assert check(live, None, pid=PID, uptime_s=59, now=5000.0, rule=RULE).action == "ok"
    verdict = check(live, None, pid=PID, uptime_s=61, now=5002.0, rule=RULE)
    assert verdict.action == "stalled" and verdict.age_s == 61 and live.last is None


def test_heartbeat_of_an_earlier_process_is_ignored() -> None:
    live = Liveness()
    old = beat(4990.0, pid=PID - 1)
    verdict = check(live, old, pid=PID, uptime_s=3, now=5000.0, rule=RULE)
    assert verdict.action == "ok" and verdict.age_s == 3 and live.last is None


def test_reset_forgets_the_last_process() -> None:
    live = Liveness()
    check(live, beat(0.0), pid=PID, uptime_s=500, now=1000.0, rule=RULE)
    live.stall_restarts = 2
    live.reset()
    assert live.last is None and not live.stalled and live.stall_restarts == 2
