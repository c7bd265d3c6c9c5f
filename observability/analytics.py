"""Product analytics, server side: PostHog events that never block, never raise, never leak.

`Analytics(api_key, host)` wraps the real `posthog` client. Without a key it is off: no
client, no thread, nothing sent. With one, `capture` only puts the event on posthog's bounded
queue (its consumer thread posts batches to `/batch/`); a full queue drops the event and
counts it, as does a batch the host refused or never answered after the bounded retries.
`close(timeout)` flushes what is queued and returns within `timeout` even when the host never
answers (posthog's own `shutdown` waits for its consumer without a limit, so it runs in a
daemon thread the interpreter does not wait for).

Properties are cleaned before they are queued (`clean_properties`): only plain scalar values,
no key that names a secret or a personal detail (e-mail, password, token, api_*, ...), no
value that contains an e-mail address, no long free text.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from posthog import Posthog

logger = logging.getLogger(__name__)

DEFAULT_HOST = "https://us.i.posthog.com"  # where the old frontend's production build sent
QUEUE_SIZE = 1000  # events held while the host is slow; the next one is dropped and counted
HTTP_TIMEOUT = 3.0  # seconds per upload request (posthog's default is 15)
MAX_RETRIES = 2  # retries of a failed batch (posthog's default is 3, with backoff 1, 2, 4 s)
FLUSH_INTERVAL = 5.0  # seconds a partial batch waits before it is sent
CLOSE_TIMEOUT = 2.0  # the longest `close` takes, whatever the host does
MAX_TEXT = 200  # longer strings are free text, not properties

# A key is refused when one of its `_`-separated words names a secret or a personal detail,
# or when it starts with `api` (api_key, apikey, api_secret, ...).
_DENIED_WORDS = (
    "email", "mail", "password", "passwd", "pwd", "secret", "token", "jwt", "cookie",
    "session", "authorization", "bearer", "credential", "credentials", "key", "apikey",
    "private", "ip", "phone", "address", "iban", "card", "otp",
)  # fmt: skip
_DENIED_KEY = re.compile(rf"^api|(?:^|_)(?:{'|'.join(_DENIED_WORDS)})(?:_|$)")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
EMAIL = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[a-z]{2,}", re.IGNORECASE)


def clean_properties(properties: Mapping[str, object]) -> tuple[dict[str, object], list[str]]:
    """The properties that may leave, and the names of those that may not (sorted)."""
    kept: dict[str, object] = {}
    refused: list[str] = []
    for key, value in properties.items():
        plain = _plain(value)
        name = str(key)
        if (
            not _KEY.fullmatch(name)
            or _DENIED_KEY.search(name)
            or plain is _REFUSED
            or (isinstance(plain, str) and (len(plain) > MAX_TEXT or EMAIL.search(plain)))
        ):
            refused.append(name)
            continue
        kept[name] = plain
    return kept, sorted(refused)


_REFUSED = object()


def _plain(value: object) -> object:
    """A JSON scalar for the value, or `_REFUSED` (lists, mappings, objects)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return _REFUSED


class Analytics:
    """One process's PostHog client (off without a key); thread-safe."""

    def __init__(
        self,
        api_key: str = "",
        host: str = DEFAULT_HOST,
        *,
        service: str = "",
        max_queue_size: int = QUEUE_SIZE,
        timeout: float = HTTP_TIMEOUT,
        max_retries: int = MAX_RETRIES,
        flush_interval: float = FLUSH_INTERVAL,
    ) -> None:
        self._lock = threading.Lock()
        self._dropped = 0
        self._closed = False
        self._client: Posthog | None = None
        if not api_key:
            return
        # Imported here: settings import this module in every process, bots included.
        from posthog import Posthog

        self._client = Posthog(
            api_key,
            host=host or DEFAULT_HOST,
            max_queue_size=max_queue_size,
            timeout=timeout,
            max_retries=max_retries,
            flush_interval=flush_interval,
            gzip=True,
            on_error=self._failed,
            disable_geoip=True,
            super_properties={"service": service} if service else None,
        )
        logger.info("product analytics on: PostHog at %s", self._client.host)

    @classmethod
    def off(cls) -> Analytics:
        """Analytics that send nothing (no key)."""
        return cls()

    @property
    def enabled(self) -> bool:
        return self._client is not None

    @property
    def dropped(self) -> int:
        """Events lost so far: queue full, refused or unanswered batches, after `close`."""
        with self._lock:
            return self._dropped

    def capture(
        self, event: str, distinct_id: str, properties: Mapping[str, object] | None = None
    ) -> None:
        """Queue one event of user `distinct_id`; returns at once and never raises."""
        client = self._client
        if client is None:
            return
        try:
            if self._closed:
                self._count(1)
                return
            if not distinct_id or EMAIL.search(distinct_id):
                logger.warning("analytics event %s not sent: no opaque user id", event)
                return
            kept, refused = clean_properties(properties or {})
            if refused:
                logger.debug("analytics event %s: properties %s left out", event, refused)
            if client.capture(event, distinct_id=distinct_id, properties=kept) is None:
                self._count(1)  # the queue is full (posthog logs it)
        except Exception:  # analytics must never break the caller
            logger.exception("analytics event %s not queued", event)
            self._count(1)

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Send what is queued and stop the client; returns within `timeout` seconds."""
        client = self._client
        if client is None or self._closed:
            return
        self._closed = True
        done = threading.Event()

        def finish() -> None:
            try:
                client.flush(timeout_seconds=timeout)
                client.shutdown()
            except Exception:
                logger.exception("PostHog client did not shut down cleanly")
            finally:
                done.set()

        threading.Thread(target=finish, name="posthog-close", daemon=True).start()
        if not done.wait(timeout):
            logger.warning(
                "PostHog did not take the last events within %.1f s: they are dropped", timeout
            )

    def _failed(self, error: Exception, batch: list[Any]) -> None:
        """posthog's `on_error`: a batch was refused or never answered, after the retries."""
        self._count(len(batch))
        logger.warning("PostHog dropped %d events: %s", len(batch), error)

    def _count(self, events: int) -> None:
        with self._lock:
            self._dropped += events


class DroppedEventsCollector(Collector):
    """`cryptopilot_analytics_events_dropped_total`, read from an `Analytics` at scrape time."""

    def __init__(self, analytics: Analytics) -> None:
        self.analytics = analytics

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "cryptopilot_analytics_events_dropped",
            "Product analytics events lost: PostHog queue full, batch refused or unanswered",
        )
        family.add_metric([], self.analytics.dropped)
        yield family
