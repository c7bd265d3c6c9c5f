"""Metric names in PromQL expressions, Grafana dashboards and rule files; names in a scrape."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from ruamel.yaml import YAML

KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}
KEYWORDS |= {"group_left", "group_right", "inf", "nan", "atan2", "start", "end"}
# Series Prometheus makes itself: scrape health and the alerts it evaluates.
PROMETHEUS_OWN = {"up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds"}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_LABEL_LIST = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_NAME = re.compile(r"(?<![\w:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()")
_LABEL_VALUES = re.compile(r"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)")


def metric_names(expr: str) -> set[str]:
    """Metric names an expression reads (not functions, keywords, label names or values)."""
    text = _STRING.sub(" ", expr)
    text = _LABEL_LIST.sub(" ", text)
    text = _MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = re.sub(r"\$\{?\w+\}?", " ", text)  # Grafana variables ($pool, $__rate_interval)
    names = {match for match in _NAME.findall(text) if match.lower() not in KEYWORDS}
    # A matcher block may carry the name itself: {__name__="x"}.
    names |= set(re.findall(r'__name__\s*=\s*"([^"]+)"', expr))
    return names


def template_names(query: str) -> set[str]:
    """Metric names a Grafana variable query reads (`label_values(metric{...}, label)`)."""
    return set(_LABEL_VALUES.findall(query)) or metric_names(query)


def dashboard_expressions(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, expression) of every panel target (nested rows too)."""

    def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for item in items:
            yield item
            yield from panels(item.get("panels", []))

    for panel in panels(dashboard.get("panels", [])):
        for target in panel.get("targets", []):
            yield f"{dashboard['uid']}: {panel['title']}", target["expr"]


def dashboard_names(path: Path) -> dict[str, set[str]]:
    """Metric name -> where it is used, over a dashboard's panels and variables."""
    dashboard = json.loads(path.read_text())
    used: dict[str, set[str]] = {}
    for where, expr in dashboard_expressions(dashboard):
        for name in metric_names(expr):
            used.setdefault(name, set()).add(where)
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        text = query.get("query", "") if isinstance(query, dict) else str(query or "")
        for name in template_names(text):
            used.setdefault(name, set()).add(f"{dashboard['uid']}: ${variable['name']}")
    return used


def rule_names(path: Path) -> dict[str, set[str]]:
    """Metric name -> the rules (alerts or recordings) whose expression reads it."""
    groups = YAML(typ="safe").load(path.read_text())["groups"]
    used: dict[str, set[str]] = {}
    for group in groups:
        for rule in group["rules"]:
            for name in metric_names(rule["expr"]):
                used.setdefault(name, set()).add(rule.get("alert") or rule["record"])
    return used


def exported_names(text: str) -> set[str]:
    """Every series name a /metrics answer declares or serves.

    A family declared with no samples yet (a labelled counter nothing has incremented) counts:
    its exporter makes it, the event has just not happened. Counters and histograms also give
    the names their samples take (`_total`; `_bucket`, `_count`, `_sum`).
    """
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        if family.type == "counter":
            names.update({family.name + "_total", family.name + "_created"})
        if family.type in ("histogram", "summary"):
            names.update(family.name + suffix for suffix in ("_bucket", "_count", "_sum"))
    return names
