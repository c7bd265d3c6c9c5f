"""Grafana dashboards and alert rules: well-formed, provisioned, and naming only real metrics."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.fixtures.sqld import SqldServer
from tests.helpers import async_wait_until
from tests.pool_containers.promql import (
    PROMETHEUS_OWN,
    dashboard_expressions,
    dashboard_names,
    exported_names,
    metric_names,
    rule_names,
    template_names,
)
from tests.pool_containers.stack import ClientFactory, monitored_stack
from tests.pool_containers.tools import POOL_CONTAINERS

GRAFANA = POOL_CONTAINERS / "monitoring" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
RULES = POOL_CONTAINERS / "monitoring" / "rules" / "cryptopilot.rules.yml"
EXPECTED = {"platform-overview.json": set(), "pool.json": {"pool"}, "bot.json": {"pool", "bot_id"}}


def load_yaml(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(path.read_text())
    return data


def provisioned_uid() -> str:
    provisioning = load_yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")
    (source,) = provisioning["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    return str(source["uid"])


def all_used_names() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for path in [*DASHBOARDS, RULES]:
        names = rule_names(path) if path == RULES else dashboard_names(path)
        for name, where in names.items():
            used.setdefault(name, set()).update(where)
    return used


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("rate(a_total[5m])", {"a_total"}),
        ('sum by (le, route) (rate(h_bucket{route!~"/api/stream|x"}[5m]))', {"h_bucket"}),
        ("a == 1 and on (pool, bot_id) b == 0", {"a", "b"}),
        ("count(x > 6 * y) or vector(0)", {"x", "y"}),
        ('z{pool="$pool", bot_id="$bot_id"}[$__rate_interval]', {"z"}),
        ("histogram_quantile(0.9, sum without (job) (rate(q_bucket[1h] offset 5m)))", {"q_bucket"}),
        ('{__name__="named_only"}', {"named_only"}),
        ("max_over_time(m[5m:1m]) unless ignoring (job) n", {"m", "n"}),
    ],
)
def test_metric_names_are_read_from_promql(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_template_queries_name_their_metric() -> None:
    assert template_names('label_values(cryptopilot_bot_up{pool="$pool"}, bot_id)') == {
        "cryptopilot_bot_up"
    }


def test_exported_names_cover_declared_families_and_sample_suffixes() -> None:
    text = (
        "# HELP c_total things\n# TYPE c_total counter\n"
        "# HELP h_seconds time\n# TYPE h_seconds histogram\n"
        'h_seconds_bucket{le="+Inf"} 1.0\nh_seconds_count 1.0\nh_seconds_sum 0.5\n'
        "# HELP g level\n# TYPE g gauge\ng 3.0\n"
    )
    names = exported_names(text)
    assert {"c_total", "h_seconds_bucket", "h_seconds_count", "h_seconds_sum", "g"} <= names
    assert "nope" not in names


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_structure(path: Path) -> None:
    dashboard = json.loads(path.read_text())
    uid = provisioned_uid()
    assert dashboard["uid"].startswith("cryptopilot-") and dashboard["title"]
    assert dashboard["title"].startswith("Crypto-Pilot / ")
    assert "id" not in dashboard  # provisioned: Grafana assigns the id
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert set(variables) == EXPECTED[path.name]
    for variable in variables.values():
        assert variable["datasource"]["uid"] == uid
    panels = dashboard["panels"]
    assert panels
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    for panel in panels:
        assert panel["title"] and panel["targets"], panel
        assert panel["datasource"]["uid"] == uid
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid and target["expr"].strip()
            assert target["refId"]
        position = panel["gridPos"]
        assert position["x"] + position["w"] <= 24
    # A variable must be used, and only declared variables are used.
    exprs = " ".join(expr for _, expr in dashboard_expressions(dashboard))
    for name in variables:
        assert f"${name}" in exprs, name
    queries = " ".join(v["query"]["query"] for v in variables.values())
    used_variables = {w for w in (exprs + " " + queries).split("$")[1:]}
    for word in used_variables:
        name = word.split('"')[0].split("]")[0].split("}")[0].split(",")[0]
        assert name.startswith("__") or name in variables, name


def test_dashboards_are_all_provisioned_and_titles_unique() -> None:
    (provider,) = load_yaml(GRAFANA / "provisioning" / "dashboards" / "cryptopilot.yml")[
        "providers"
    ]
    assert provider["type"] == "file" and provider["options"]["path"] == "/etc/grafana/dashboards"
    assert {p.name for p in DASHBOARDS} == set(EXPECTED)
    boards = [json.loads(p.read_text()) for p in DASHBOARDS]
    assert len({b["uid"] for b in boards}) == len({b["title"] for b in boards}) == len(boards)


def test_no_panel_or_rule_groups_by_a_user_label() -> None:
    for path in [*DASHBOARDS, RULES]:
        text = path.read_text()
        for label in ("user_id", "email", "owner"):
            assert label not in text, (path.name, label)


@pytest.mark.e2e
async def test_dashboards_and_rules_name_only_exported_metrics(
    aiohttp_client: ClientFactory, sandbox_url: str, sqld: SqldServer, tmp_path: Path
) -> None:
    used = all_used_names()
    assert len(used) > 40  # the regex found the catalogue, not nothing
    async with monitored_stack(aiohttp_client, sandbox_url, sqld, tmp_path) as stack:
        # One unrequested exit, so the bot's last-exit series exists too.
        first = await stack.bot()
        os.kill(first["pid"], signal.SIGKILL)

        async def restarted() -> bool:
            bot = await stack.bot()
            return bool(bot["state"] == "running" and bot["pid"] != first["pid"])

        await async_wait_until(restarted, timeout=120, interval=1, what="bot restarted")
        missing: dict[str, set[str]] = {}

        async def all_exported() -> bool:
            exported = exported_names(await stack.scrape_gateway())
            exported |= exported_names(await stack.scrape_pool())
            missing.clear()
            missing.update(
                {n: w for n, w in used.items() if n not in exported and n not in PROMETHEUS_OWN}
            )
            return not missing

        # Heartbeats, the first sync and backup passes come within seconds of the start.
        try:
            await async_wait_until(all_exported, timeout=120, interval=2, what="every name")
        except TimeoutError:
            lines = [f"{name}: used by {', '.join(sorted(w))}" for name, w in missing.items()]
            pytest.fail("not exported by the gateway or the pool:\n" + "\n".join(lines))
