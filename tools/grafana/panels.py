"""Panel builders and PromQL helpers over the service's own metric objects, shared by every row."""

from __future__ import annotations

from grafana_foundation_sdk.builders import common, prometheus, stat, timeseries
from grafana_foundation_sdk.models import common as common_model
from grafana_foundation_sdk.models import dashboard as model
from prometheus_client import CollectorRegistry

from services.adapters.metrics import Metrics

DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="claims-prometheus")
M = Metrics(CollectorRegistry())
PROGRAM = 'program=~"$program"'


def name(collector: object, suffix: str = "") -> str:
    """The exported name of one of the service's metrics (`_total`, `_bucket`: the series)."""
    described = collector.describe()  # type: ignore[attr-defined]  # prometheus_client collectors
    return f"{described[0].name}{suffix}"


def total(collector: object) -> str:
    return name(collector, "_total")


def query(expr: str, legend: str, ref: str = "A") -> prometheus.Dataquery:
    return (
        prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref).datasource(DATASOURCE)
    )


def legend() -> common.VizLegendOptions:
    return (
        common.VizLegendOptions()
        .display_mode(common_model.LegendDisplayMode.TABLE)
        .placement(common_model.LegendPlacement.BOTTOM)
        .calcs(["lastNotNull"])
        .show_legend(True)
    )


def series(
    title: str,
    description: str,
    queries: list[prometheus.Dataquery],
    unit: str = "short",
    width: int = 8,
    stacked: bool = False,
) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(8)
        .legend(legend())
    )
    if stacked:
        panel = panel.stacking(common.StackingConfig().mode(common_model.StackingMode.NORMAL))
    for q in queries:
        panel = panel.with_target(q)
    return panel


def single(
    title: str,
    description: str,
    queries: list[prometheus.Dataquery],
    unit: str = "short",
    width: int = 8,
) -> stat.Panel:
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(8)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    for q in queries:
        panel = panel.with_target(q)
    return panel


def rate(collector: object, by: str, matcher: str = "") -> str:
    selector = f"{{{matcher}}}" if matcher else ""
    return f"sum by ({by}) (rate({total(collector)}{selector}[$__rate_interval]))"


def in_range(collector: object, by: str) -> str:
    """The increase of a counter over the dashboard's time range, for the chosen programs."""
    return f"sum by ({by}) (increase({total(collector)}{{{PROGRAM}}}[$__range]))"


def p95(collector: object, by: str, matcher: str = "") -> str:
    selector = f"{{{matcher}}}" if matcher else ""
    bucket = name(collector, "_bucket")
    return (
        f"histogram_quantile(0.95, sum by (le, {by}) (rate({bucket}{selector}[$__rate_interval])))"
    )
