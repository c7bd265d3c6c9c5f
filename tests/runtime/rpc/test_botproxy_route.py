"""Which URL a pool reports for its bots' APIs: the `bot_api_route` setting and its "auto" rules."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from envsettings import SettingsError
from runtime.settings import PoolSettings
from runtime.status import api_route, bot_api_url


def settings(**overrides: Any) -> PoolSettings:
    return PoolSettings(**{"control_port": 18555, "token": "t" * 20, **overrides})


@pytest.mark.parametrize(
    ("overrides", "route"),
    [
        ({}, "direct"),  # the defaults: control API on 127.0.0.1, no public URL
        ({"control_host": "127.0.0.1"}, "direct"),
        ({"control_host": "::1"}, "direct"),
        ({"control_host": "localhost"}, "direct"),
        ({"control_host": "0.0.0.0"}, "pool"),  # noqa: S104 - a setting, not bound here
        ({"control_host": "::"}, "pool"),
        ({"control_host": "10.1.2.3"}, "pool"),
        ({"public_url": "http://pool-0.pools.svc:18080"}, "pool"),
        ({"control_host": "10.1.2.3", "bot_api_route": "direct"}, "direct"),  # forced
        ({"bot_api_route": "pool"}, "pool"),  # forced, even on loopback
        ({"public_url": "http://pool-0:18080", "bot_api_route": "direct"}, "direct"),
    ],
)
def test_auto_serves_through_the_pool_once_the_control_api_is_reachable_from_elsewhere(
    overrides: dict[str, Any], route: str
) -> None:
    assert api_route(settings(**overrides)) == route


def test_each_route_gives_its_url() -> None:
    assert bot_api_url(settings(), "b1", 18101) == "http://127.0.0.1:18101"
    forced = settings(bot_api_route="pool")
    assert bot_api_url(forced, "b1", 18101) == "http://127.0.0.1:18555/bots/b1"
    public = settings(public_url="https://pool-0.pools.svc:8443/")
    assert bot_api_url(public, "b-2.x", 18101) == "https://pool-0.pools.svc:8443/bots/b-2.x"
    v6 = settings(control_host="fd00::2")
    assert bot_api_url(v6, "b1", 18101) == "http://[fd00::2]:18555/bots/b1"
    everywhere = settings(control_host="0.0.0.0")  # noqa: S104 - a setting, not bound here
    host = socket.gethostname()
    assert bot_api_url(everywhere, "b1", 18101) == f"http://{host}:18555/bots/b1"


def test_the_setting_is_read_from_the_pools_environment() -> None:
    assert PoolSettings.env_name("bot_api_route") == "CRYPTOPILOT_POOL_BOT_API_ROUTE"
    read = PoolSettings.from_env({"CRYPTOPILOT_POOL_BOT_API_ROUTE": "pool"})
    assert read.bot_api_route == "pool"
    assert PoolSettings.from_env({}).bot_api_route == "auto"
    with pytest.raises(SettingsError, match="CRYPTOPILOT_POOL_BOT_API_ROUTE"):
        PoolSettings.from_env({"CRYPTOPILOT_POOL_BOT_API_ROUTE": "sideways"})
