"""Product analytics through the real `posthog` library, against a local capture server."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

from prometheus_client import CollectorRegistry, generate_latest

from observability.analytics import EMAIL, Analytics, DroppedEventsCollector, clean_properties
from tests.fixtures.posthog import API_KEY, CaptureServer, SilentServer
from tests.helpers import wait_until


def test_properties_keep_ids_amounts_and_names_and_nothing_secret_or_personal() -> None:
    kept, refused = clean_properties({
        "bot_id": "alice-bot-1", "strategy": "EmaRsiStrategy", "amount": Decimal("12.50"),
        "pool_id": "pool-1", "pairs": 3, "dry_run": True, "note": None,
        "email": "a@b.co", "user_email": "x", "password": "hunter2", "new_password": "x",
        "token": "t", "refresh_token": "t", "api_key": "k", "apikey": "k", "api_secret": "s",
        "private_key": "k", "jwt": "j", "ip": "1.2.3.4", "client_ip": "1.2.3.4",
        "display_name": "Alice <alice@example.com>", "username": "bob@example.org",
        "config": {"exchange": {"secret": "s"}}, "pairs_list": ["BTC/USDT"],
        "Bad-Key": 1, "$set": 1, "story": "x" * 201,
    })  # fmt: skip
    assert kept == {
        "bot_id": "alice-bot-1", "strategy": "EmaRsiStrategy", "amount": 12.5,
        "pool_id": "pool-1", "pairs": 3, "dry_run": True, "note": None,
    }  # fmt: skip
    assert "email" in refused and "display_name" in refused and "config" in refused
    assert len(refused) == 20


def test_off_without_a_key_starts_no_thread_and_sends_nothing(
    capture_server: CaptureServer,
) -> None:
    before = set(threading.enumerate())
    analytics = Analytics("", capture_server.url)
    analytics.capture("user_signed_up", "u1", {"auth_provider": "local"})
    assert not analytics.enabled
    assert set(threading.enumerate()) <= before  # no thread started
    analytics.close()
    assert capture_server.requests == [] and analytics.dropped == 0


def test_events_arrive_with_the_user_as_distinct_id_and_clean_properties(
    capture_server: CaptureServer,
) -> None:
    analytics = Analytics(API_KEY, capture_server.url, service="gateway", flush_interval=60)
    analytics.capture("bot_provisioned", "user-1", {"bot_id": "b1", "email": "a@b.co"})
    analytics.capture("wallet_deposit", "user-2", {"amount": Decimal("5"), "token": "t"})
    started = time.monotonic()
    analytics.close()  # the batch waits for flush_interval: close sends it
    assert time.monotonic() - started < 2.0
    provisioned, deposit = capture_server.events()
    assert provisioned["event"] == "bot_provisioned" and provisioned["distinct_id"] == "user-1"
    assert provisioned["properties"]["bot_id"] == "b1"
    assert provisioned["properties"]["service"] == "gateway"
    assert provisioned["properties"]["$geoip_disable"] is True
    assert deposit["distinct_id"] == "user-2" and deposit["properties"]["amount"] == 5.0
    assert "email" not in provisioned["properties"] and "token" not in deposit["properties"]
    assert not EMAIL.search(json.dumps(capture_server.events()))
    assert all(r.gzip and r.api_key == API_KEY for r in capture_server.requests)
    assert analytics.dropped == 0


def test_an_email_as_distinct_id_is_never_sent(capture_server: CaptureServer) -> None:
    analytics = Analytics(API_KEY, capture_server.url, flush_interval=60)
    analytics.capture("user_signed_up", "alice@example.com", {})
    analytics.capture("user_signed_up", "", {})
    analytics.capture("user_signed_up", "u1", {"odd": object()})
    analytics.close()
    assert [e["distinct_id"] for e in capture_server.events()] == ["u1"]


def test_a_full_queue_drops_and_counts_and_close_still_returns_in_2s(
    silent_server: SilentServer,
) -> None:
    analytics = Analytics(API_KEY, silent_server.url, max_queue_size=3, flush_interval=0.05)
    analytics.capture("trade_closed", "u1", {"trade_id": 0})
    # The consumer took that event and now waits for the host, which never answers.
    wait_until(lambda: silent_server.connections, 10, what="the consumer is sending")
    started = time.monotonic()
    for trade_id in range(1, 11):
        analytics.capture("trade_closed", "u1", {"trade_id": trade_id})
    assert time.monotonic() - started < 0.5  # capture never waits for the host
    assert analytics.dropped == 7  # 3 fit in the queue
    started = time.monotonic()
    analytics.close(timeout=2.0)
    assert time.monotonic() - started < 2.3
    analytics.capture("trade_closed", "u1", {"trade_id": 11})  # after close: dropped
    assert analytics.dropped >= 8


def test_close_returns_within_2s_when_the_host_never_answers(
    silent_server: SilentServer,
) -> None:
    # posthog's defaults (15 s timeout, 3 retries) would hold its shutdown for about a minute.
    analytics = Analytics(API_KEY, silent_server.url, flush_interval=0.05)
    for n in range(5):
        analytics.capture("bot_crashed", "u1", {"n": n})
    wait_until(lambda: silent_server.connections, 10, what="the consumer is sending")
    started = time.monotonic()
    analytics.close()
    assert time.monotonic() - started < 2.3


def test_refused_batches_are_retried_a_bounded_number_of_times_then_counted(
    capture_server: CaptureServer,
) -> None:
    capture_server.answer_with(503)
    analytics = Analytics(API_KEY, capture_server.url, max_retries=1, flush_interval=0.05)
    for n in range(3):
        analytics.capture("emergency_stop", "u1", {"n": n})
    wait_until(lambda: analytics.dropped == 3, 10, what="the batch counted as dropped")
    assert len(capture_server.requests) == 2  # the first try and one retry
    analytics.close()


def test_a_wrong_key_is_refused_by_the_server_and_counted(
    capture_server: CaptureServer,
) -> None:
    analytics = Analytics("phc_wrong", capture_server.url, flush_interval=0.05)
    analytics.capture("user_signed_up", "u1", {})
    wait_until(lambda: analytics.dropped == 1, 10, what="the 401 counted")
    assert capture_server.events() == [] and len(capture_server.requests) == 1  # no retry
    analytics.close()


def test_the_dropped_counter_is_a_prometheus_counter() -> None:
    analytics = Analytics.off()
    registry = CollectorRegistry()
    registry.register(DroppedEventsCollector(analytics))
    text = generate_latest(registry).decode()
    assert "# TYPE cryptopilot_analytics_events_dropped_total counter" in text
    assert "cryptopilot_analytics_events_dropped_total 0.0" in text
