"""Every metric the dashboards and alert rules query is one the service exports, and the README's
metrics table lists every metric the service exports, with its type and labels."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from faust.sensors.prometheus import FaustMetrics
from prometheus_client import CollectorRegistry

from services.adapters.metrics import Metrics
from tests.prometheus_support import GRAFANA_DIR, PROMETHEUS_DIR, REPO

# Series names each metric type exposes (prometheus_client's family name has no _total).
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
}
# Series Prometheus itself makes for every target.
SCRAPE_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool"}
KEYWORDS |= {"and", "or", "unless", "inf", "nan"}
# One PromQL token at a time: a string, a number or duration (so `1e3` or `5m` is never read as
# a name), an identifier, or anything else.
TOKEN = re.compile(
    r"""(?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')"""
    r"|(?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?[a-zA-Z]*)"
    r"|(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)"
    r"|(?P<other>.)",
    re.DOTALL,
)


def exported_series() -> set[str]:
    """Series names of a fresh worker's registry: our Metrics plus Faust's own sensors."""
    registry = CollectorRegistry()
    Metrics(registry)
    FaustMetrics.create(registry, "faust")
    return {
        family.name + suffix for family in registry.collect() for suffix in SUFFIXES[family.type]
    }


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (Grafana's $variables allowed)."""
    text = re.sub(r"\$\{?\w+\}?", "", expr)  # Grafana variables: $program, $__rate_interval
    text = re.sub(r"\{[^{}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\[\]]*\]", "", text)  # ranges and subquery steps
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", "", text)
    names = set()
    for m in TOKEN.finditer(text):
        word = m.group("name")
        if word is None or word.lower() in KEYWORDS:
            continue
        if text[m.end() :].lstrip().startswith("("):
            continue  # a function or an aggregation
        names.add(word)
    return names


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def dashboard_queries() -> list[tuple[str, str]]:
    found = []
    for path in sorted((GRAFANA_DIR / "dashboards").glob("*.json")):
        for node in _walk(json.loads(path.read_text())):
            if isinstance(node.get("expr"), str):
                found.append((path.name, node["expr"]))
            definition = node.get("definition")
            if isinstance(definition, str) and definition.startswith("label_values("):
                metric = definition.removeprefix("label_values(").split(",")[0].strip()
                found.append((path.name, metric))
    return found


def rule_file() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())
    return loaded


def recorded_names() -> set[str]:
    return {r["record"] for g in rule_file()["groups"] for r in g["rules"] if "record" in r}


def rule_queries() -> list[tuple[str, str]]:
    return [
        (r.get("alert") or r["record"], r["expr"])
        for g in rule_file()["groups"]
        for r in g["rules"]
    ]


def test_the_name_reader_sees_through_functions_matchers_and_numbers() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, writer) (rate(claims_db_write_seconds_bucket{a="b"}'
        "[$__rate_interval]))) > 1e3 and on (program) up offset 5m"
    )
    assert metric_names(expr) == {"claims_db_write_seconds_bucket", "up"}


@pytest.mark.parametrize(
    ("where", "expr"), dashboard_queries() + rule_queries(), ids=lambda v: str(v)[:60]
)
def test_every_query_uses_only_metrics_the_service_exports(where: str, expr: str) -> None:
    known = exported_series() | recorded_names() | SCRAPE_SERIES
    assert metric_names(expr), f"{where}: no metric found in {expr!r}"
    assert metric_names(expr) <= known, f"{where}: unknown {metric_names(expr) - known}"


def test_the_dashboard_covers_programs_money_lag_deadlines_dead_letters_and_the_database() -> None:
    used = set().union(*(metric_names(e) for _, e in dashboard_queries()))
    for needed in (
        "claims_decisions_total",
        "claims_settled_amount_rupiah_total",
        "claims_consumer_lag_messages",
        "claims_deadline_pending",
        "claims_dead_letters_total",
        "claims_db_write_seconds_bucket",
    ):
        assert needed in used


def readme_metrics() -> dict[str, tuple[str, set[str]]]:
    """The README's metrics table: name -> (type, the labels: names in backticks outside
    brackets)."""
    text = (REPO / "README.md").read_text()
    table = text.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`claims_"):
            labels = re.sub(r"\([^)]*\)", "", cells[2])  # what is in brackets explains
            rows[cells[0].strip("`")] = (cells[1], set(re.findall(r"`([a-z_]+)`", labels)))
    return rows


def test_the_readme_lists_every_metric_with_its_type_and_labels() -> None:
    registry = CollectorRegistry()
    Metrics(registry)
    exported = {}
    for family in registry.collect():
        exported[family.name + ("_total" if family.type == "counter" else "")] = family.type
    documented = readme_metrics()
    assert set(documented) == set(exported)
    for name, kind in exported.items():
        assert documented[name][0] == kind, name
    # A labelled metric has no samples until used, so its label names come from the collector
    # (prometheus_client has no public map of them).
    collectors = registry._names_to_collectors
    for name, (_, labels) in documented.items():
        assert set(collectors[name]._labelnames) == labels, name


def test_grafana_is_provisioned_with_the_prometheus_datasource_the_dashboard_names() -> None:
    source = yaml.safe_load(
        (GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    (datasource,) = source["datasources"]
    uids = {
        node["datasource"]["uid"]
        for path in (GRAFANA_DIR / "dashboards").glob("*.json")
        for node in _walk(json.loads(path.read_text()))
        if isinstance(node.get("datasource"), dict)
    }
    assert uids == {datasource["uid"]}
    assert datasource["url"] == "http://prometheus:9090"
    provider = yaml.safe_load(
        (GRAFANA_DIR / "provisioning" / "dashboards" / "claims.yml").read_text()
    )
    (claims,) = provider["providers"]
    assert claims["options"]["path"] == "/var/lib/grafana/dashboards"
    assert Path(GRAFANA_DIR / "dashboards" / "claims.json").is_file()
