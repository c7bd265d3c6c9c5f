"""Locust scenario: the web app's own traffic to the gateway, one dashboard per simulated user.

What each simulated user does is what the unchanged frontend does (API contract §2.3, §3.5,
§3.11, §4.1), as a logged-in e-mail user with the dashboard open:

* log in (A1), verify the token twice (A4: the auth context and the token self-test);
* open the SSE stream (X1, `?token=`) and keep it open, counting its events; only once it is
  open: P1 + P2 + B1, P4, R1 and, once a bot list exists, B7 for the selected bot; 3 s later
  S1 + S3;
* every 30 s: B7 of the selected bot (the dashboard's poll); on one period in six instead the
  bot console (B1 + W1 + O1, then B6 of every running bot);
* the client's own timers: a refresh (A5, the `refreshToken` cookie) 13 min after each
  login or refresh, and the stream closed and re-opened 13 min after it opened (+P1/P2/B1).

Not covered: the strategy WebSocket X2 (`/ws/strategies`: no locust client for it) and the
browser's direct calls to public market-data APIs (§1.4, not the gateway's).

The stream's opening is a GET (time to its headers); its events are request type `SSE`,
name `X1 event <name>`, with the time since the previous event (or since the stream opened)
as their "response time"; `X1 stream lost` (a failure) and `X1 stream re-opened` (the
client's 13-minute re-open) are `SSE` entries too. Accounts come from the JSON file named
by `CRYPTOPILOT_LOAD_USERS` (`[{"email": ..., "password": ...}, ...]`,
written by bench/load.py); simulated users take them in turn.

    locust -f bench/load/locustfile.py --headless -u 5 -r 5 -t 30s --host http://127.0.0.1:8080
"""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path
from typing import Any

import gevent
import requests
from gevent.event import Event
from locust import HttpUser, constant_pacing, task

USERS_FILE = "CRYPTOPILOT_LOAD_USERS"
# The frontend's timers (contract §2.4, §4.1): the token refreshed 13 min after the login or
# the last refresh, the stream re-opened 13 min after it opened; both can be shortened (s).
REFRESH_AFTER = float(os.environ.get("CRYPTOPILOT_LOAD_REFRESH_AFTER", 13 * 60))
REOPEN_AFTER = float(os.environ.get("CRYPTOPILOT_LOAD_REOPEN_AFTER", 13 * 60))
RECONNECT_DELAY = 2.0
STRATEGY_SELECTOR_DELAY = 3.0
# How long the dashboard waits for the stream before it counts as not opening.
OPEN_TIMEOUT = 30.0
OPEN = "X1 GET /api/stream (open)"
LOST = "X1 stream lost"
REOPENED = "X1 stream re-opened"


def _accounts() -> list[dict[str, str]]:
    path = os.environ.get(USERS_FILE)
    if not path:
        raise RuntimeError(f"set {USERS_FILE} to a JSON file of accounts (bench/load.py does)")
    accounts: list[dict[str, str]] = json.loads(Path(path).read_text())
    return accounts


_ACCOUNTS = _accounts()
_NEXT_ACCOUNT = itertools.cycle(range(len(_ACCOUNTS)))


class DashboardUser(HttpUser):
    """One logged-in user with the dashboard open (and now and then the bot console)."""

    wait_time = constant_pacing(30)

    def on_start(self) -> None:
        self.account = _ACCOUNTS[next(_NEXT_ACCOUNT)]
        self.token = ""
        self.token_at = 0.0
        self.bots: list[dict[str, Any]] = []
        self.stopping = False
        self.opened = Event()
        self.login()
        self.refresher = gevent.spawn(self.keep_token_fresh)
        self.stream = gevent.spawn(self.follow_stream)
        if not self.opened.wait(OPEN_TIMEOUT):
            return  # the dashboard shows nothing without its stream: nothing else to ask
        self.dashboard_load()
        gevent.sleep(STRATEGY_SELECTOR_DELAY)
        self.get("S1 GET /api/freqtrade/strategies", "/api/freqtrade/strategies")
        if self.bots:
            bot = self.bots[0]["instanceId"]
            self.get(
                "S3 GET /api/freqtrade/bots/:id/strategy", f"/api/freqtrade/bots/{bot}/strategy"
            )

    def on_stop(self) -> None:
        self.stopping = True
        self.stream.kill(block=True, timeout=5)
        self.refresher.kill(block=True, timeout=5)

    # -- the client's steps --------------------------------------------------------------

    def login(self) -> None:
        body = {"email": self.account["email"], "password": self.account["password"]}
        with self.client.post(
            "/api/auth/login", json=body, name="A1 POST /api/auth/login", catch_response=True
        ) as response:
            if response.status_code != 200 or "token" not in (data := response.json()):
                response.failure(f"login {response.status_code}: {response.text[:200]}")
                raise RuntimeError("login failed")
            self.token, self.token_at = str(data["token"]), time.monotonic()
        for _ in range(2):
            self.get("A4 GET /api/auth/verify-token", "/api/auth/verify-token")

    def keep_token_fresh(self) -> None:
        """The auth context's timer: a refresh (A5) REFRESH_AFTER s after the last token."""
        while not self.stopping:
            gevent.sleep(max(0.0, self.token_at + REFRESH_AFTER - time.monotonic()))
            with self.client.post(
                "/api/auth/refresh-token",
                name="A5 POST /api/auth/refresh-token",
                catch_response=True,
            ) as response:
                token = response.json().get("accessToken") if response.status_code == 200 else None
                if not token:
                    # The frontend logs the user out here; the simulated one keeps its token.
                    response.failure(f"refresh {response.status_code}: {response.text[:200]}")
                    self.token_at = time.monotonic()
                    continue
                self.token, self.token_at = str(token), time.monotonic()

    def dashboard_load(self) -> None:
        """What every successful stream open triggers, then the positions, settings and B7."""
        self.get("P1 GET /api/freqtrade/portfolio", "/api/freqtrade/portfolio")
        self.get("P2 GET /api/freqtrade/charts/portfolio", "/api/freqtrade/charts/portfolio")
        self.load_bots()
        self.get("P4 GET /api/freqtrade/portfolio/positions", "/api/freqtrade/portfolio/positions")
        self.get("R1 GET /api/freqtrade/universal-settings", "/api/freqtrade/universal-settings")
        self.poll_profit()

    def load_bots(self) -> None:
        data = self.get("B1 GET /api/freqtrade/bots", "/api/freqtrade/bots")
        if data is not None:
            self.bots = list(data.get("bots", []))

    def poll_profit(self) -> None:
        if self.bots:
            bot = self.bots[0]["instanceId"]
            self.get(
                "B7 GET /api/freqtrade/proxy/:id/api/v1/profit",
                f"/api/freqtrade/proxy/{bot}/api/v1/profit",
            )

    @task(5)
    def dashboard_poll(self) -> None:
        """The dashboard's 30 s poll of the selected bot's profit."""
        self.poll_profit()

    @task(1)
    def bot_console(self) -> None:
        """The bot console's load and one round of its 30 s balance poll."""
        self.load_bots()
        self.get("W1 GET /api/account/wallet", "/api/account/wallet")
        self.get("O1 GET /api/freqtrade/pool/my-pools", "/api/freqtrade/pool/my-pools")
        for bot in self.bots:
            if bot.get("containerStatus") == "running":
                self.get(
                    "B6 GET /api/freqtrade/proxy/:id/api/v1/balance",
                    f"/api/freqtrade/proxy/{bot['instanceId']}/api/v1/balance",
                )

    def get(self, name: str, path: str) -> dict[str, Any] | None:
        """An authenticated GET; a non-2xx or non-JSON answer counts as a failure."""
        headers = {"Authorization": f"Bearer {self.token}"}
        with self.client.get(path, headers=headers, name=name, catch_response=True) as response:
            if not 200 <= response.status_code < 300:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return None
            try:
                data: dict[str, Any] = response.json()
            except ValueError:
                response.failure(f"not JSON: {response.text[:200]}")
                return None
            return data

    # -- the SSE stream ------------------------------------------------------------------

    def follow_stream(self) -> None:
        """Keep one stream open like the client does: reconnect on loss, re-open every 13 min."""
        # Its own connection, as the browser's EventSource has (the REST calls go on meanwhile),
        # and plain requests: locust's session reports a request only once its body is read.
        with requests.Session() as session:
            while not self.stopping:
                if not self.read_stream(session) and not self.stopping:
                    gevent.sleep(RECONNECT_DELAY)

    def read_stream(self, session: requests.Session) -> bool:
        """Open the stream and count its events until it ends or is due to re-open.

        True when it is due (re-opened at once), False when it failed or was lost."""
        started = time.monotonic()
        try:
            response = session.get(
                f"{self.host}/api/stream", params={"token": self.token}, stream=True, timeout=60
            )
        except OSError as exc:  # requests' errors are OSErrors
            self.report(OPEN, started, 0, exc, kind="GET")
            return False
        with response:
            if response.status_code != 200:
                failed = OSError(f"{response.status_code}: {response.text}")
                self.report(OPEN, started, 0, failed, kind="GET")
                return False
            self.report(OPEN, started, 0, None, kind="GET")
            if self.opened.is_set():  # every re-open fetches P1 + P2 + B1 … again, meanwhile
                gevent.spawn(self.dashboard_load)
            self.opened.set()
            opened = last = time.monotonic()
            name, size = "message", 0
            try:
                for raw in response.iter_lines():
                    line = raw.decode()
                    if line.startswith("event:"):
                        name = line[6:].strip()
                    elif line.startswith("data:"):
                        size += len(line) - 5
                    elif line == "" and size:
                        self.report(f"X1 event {name}", last, size, None)
                        last, name, size = time.monotonic(), "message", 0
                        if last - opened >= REOPEN_AFTER:
                            self.report(REOPENED, opened, 0, None)
                            return True
            except OSError as exc:
                if not self.stopping:
                    self.report(LOST, time.monotonic(), 0, exc)
                return False
            if not self.stopping:
                self.report(LOST, time.monotonic(), 0, ConnectionError("stream closed by gateway"))
            return False

    def report(
        self, name: str, since: float, size: int, exc: Exception | None, kind: str = "SSE"
    ) -> None:
        """One entry in locust's statistics, timed from `since` to now."""
        self.environment.events.request.fire(
            request_type=kind, name=name, response_time=(time.monotonic() - since) * 1000,
            response_length=size, exception=exc, context={},
        )  # fmt: skip
