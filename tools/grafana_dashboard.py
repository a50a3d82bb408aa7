"""The Grafana dashboard as code: `make dashboards` writes deploy/grafana/dashboards/claims.json.

Built with Grafana's own grafana-foundation-sdk (typed builders for Grafana 11.3, the version
deploy/compose.yaml serves), from the metric objects the service itself exports
(services/adapters/metrics.py): a renamed metric fails here, not silently in a panel.
tests/unit/test_dashboard_as_code.py regenerates the file and fails if the checked-in one differs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import (
    bargauge,
    common,
    dashboard,
    prometheus,
    stat,
    timeseries,
)
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as common_model
from grafana_foundation_sdk.models import dashboard as model
from prometheus_client import CollectorRegistry

from services.adapters.metrics import Metrics

OUT = Path(__file__).resolve().parents[1] / "deploy" / "grafana" / "dashboards" / "claims.json"
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


def throughput(d: dashboard.Dashboard) -> dashboard.Dashboard:
    rejected = f'{PROGRAM},outcome="REJECTED"'
    return (
        d.with_row(dashboard.Row("Throughput per program"))
        .with_panel(
            series(
                "Decisions per minute",
                f"Claims judged per minute, by program and outcome ({total(M.decisions)}).",
                [
                    query(
                        f"{rate(M.decisions, 'program, outcome', PROGRAM)} * 60",
                        "{{program}} {{outcome}}",
                    )
                ],
                stacked=True,
            )
        )
        .with_panel(
            series(
                "Rejected share",
                "Share of decisions that are rejections, per program.",
                [
                    query(
                        f"{rate(M.decisions, 'program', rejected)}"
                        f" / {rate(M.decisions, 'program', PROGRAM)}",
                        "{{program}}",
                    )
                ],
                unit="percentunit",
            )
        )
        .with_panel(
            bargauge.Panel()
            .title("Rejection reasons in range")
            .description(
                "Reason codes of rejections in the selected time range (a claim may have several)."
            )
            .datasource(DATASOURCE)
            .unit("short")
            .span(8)
            .height(8)
            .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
            .with_target(
                query(
                    f"sort_desc({in_range(M.rejections, 'program, reason')})",
                    "{{program}} {{reason}}",
                )
            )
        )
        .with_panel(
            series(
                "Upstream events consumed per second",
                "Events read per topic (every worker).",
                [query(rate(M.events_consumed, "topic"), "{{topic}}")],
                width=12,
            )
        )
        .with_panel(
            series(
                "Events applied per second, by kind",
                "Enrollment, contribution and claim events applied.",
                [query(rate(M.events_applied, "kind"), "{{kind}}")],
                width=12,
            )
        )
    )


def settlement(d: dashboard.Dashboard) -> dashboard.Dashboard:
    return (
        d.with_row(dashboard.Row("Settlement and payment"))
        .with_panel(
            series(
                "Settled claims per minute",
                "Claims settled once in PostgreSQL, per program.",
                [query(f"{rate(M.settled, 'program', PROGRAM)} * 60", "{{program}}")],
            )
        )
        .with_panel(
            single(
                "Settled amount in range",
                "Rupiah settled in the selected range, per program.",
                [
                    query(
                        in_range(M.settled_amount, "program"),
                        "{{program}}",
                    )
                ],
                unit="currencyIDR",
            )
        )
        .with_panel(
            series(
                "Payments per minute by status",
                "PAID / FAILED results applied, per program.",
                [
                    query(
                        f"{rate(M.payments, 'program, status', PROGRAM)} * 60",
                        "{{program}} {{status}}",
                    )
                ],
            )
        )
        .with_panel(
            series(
                "Payment instructions",
                "Outbox backlog (max over workers; a gap while PostgreSQL cannot be read) and"
                " instructions published per minute.",
                [
                    query(f"max({name(M.outbox_backlog)})", "backlog"),
                    query(
                        f"sum(rate({total(M.instructions_published)}[$__rate_interval])) * 60",
                        "published / min",
                        "B",
                    ),
                ],
                width=12,
            )
        )
        .with_panel(
            single(
                "Late interest in range",
                "Statutory late-payment interest accrued, per program.",
                [
                    query(
                        in_range(M.late_interest, "program"),
                        "{{program}}",
                    )
                ],
                unit="currencyIDR",
                width=12,
            )
        )
    )


def contributions(d: dashboard.Dashboard) -> dashboard.Dashboard:
    checked = f'{PROGRAM},result!="NOT_CHECKED"'
    underpaid = f'{PROGRAM},result="UNDERPAID"'
    return (
        d.with_row(dashboard.Row("Contributions and employers"))
        .with_panel(
            series(
                "Under-paid share of checked contributions",
                "Postings found under-paid, of those the rules could price (NOT_CHECKED left"
                " out), per program. ClaimsContributionUnderpaymentRising: over 5% of an hour's"
                " postings and twice the share of the week before, for 30 minutes.",
                [
                    query(
                        f"{rate(M.contributions_checked, 'program', underpaid)}"
                        f" / {rate(M.contributions_checked, 'program', checked)}",
                        "{{program}}",
                    )
                ],
                unit="percentunit",
            )
        )
        .with_panel(
            series(
                "Contributions checked per minute",
                "Postings judged against the month's contribution due, by program and result"
                f" ({total(M.contributions_checked)}).",
                [
                    query(
                        f"{rate(M.contributions_checked, 'program, result', PROGRAM)} * 60",
                        "{{program}} {{result}}",
                    )
                ],
                stacked=True,
            )
        )
        .with_panel(
            single(
                "Penalties and employer obligations in range",
                "Late penalties recorded on postings (2% a month, PU) and what employers owe on"
                " claims (BENEFIT_FIRST, WAGE_SHORTFALL), in the selected range; `claims employer"
                " NPP` shows one employer's account.",
                [
                    query(in_range(M.contribution_penalties, "program"), "penalty {{program}}"),
                    query(
                        in_range(M.employer_obligation_amount, "program, kind"),
                        "{{kind}} {{program}}",
                        "B",
                    ),
                ],
                unit="currencyIDR",
            )
        )
    )


def deadlines(d: dashboard.Dashboard) -> dashboard.Dashboard:
    pending = name(M.deadline_pending)
    return (
        d.with_row(dashboard.Row("Statutory deadlines"))
        .with_panel(
            series(
                "Unpaid claims near or past their due date",
                "Due within 2 working days (due_soon) or past due (overdue); max over workers.",
                [
                    query(
                        f"max by (program, state) ({pending}{{{PROGRAM}}})", "{{program}} {{state}}"
                    )
                ],
                width=16,
            )
        )
        .with_panel(
            single(
                "Overdue now",
                "Unpaid claims past their statutory due date.",
                [
                    query(
                        f'sum(max by (program) ({pending}{{{PROGRAM},state="overdue"}}))', "overdue"
                    )
                ],
            )
        )
    )


def health(d: dashboard.Dashboard) -> dashboard.Dashboard:
    errors = f"sum by (writer, kind) (rate({total(M.db_errors)}[$__rate_interval]))"
    rows = name(M.batch_size)
    return (
        d.with_row(dashboard.Row("Health"))
        .with_panel(
            series(
                "Consumer lag by topic",
                "Messages behind per topic, summed over partitions.",
                [
                    query(
                        f"sum by (topic) (max by (topic, partition) ({name(M.consumer_lag)}))",
                        "{{topic}}",
                    )
                ],
            )
        )
        .with_panel(
            series(
                "Dead letters per minute",
                "Messages parked with their error, per topic and error class.",
                [
                    query(
                        f"{rate(M.dead_letters, 'topic, error_class')} * 60",
                        "{{topic}} {{error_class}}",
                    )
                ],
            )
        )
        .with_panel(
            single(
                "Workers up",
                "Workers whose /metrics answer, of those scraped.",
                [
                    query('sum(up{job="claims-worker"})', "up"),
                    query('count(up{job="claims-worker"})', "scraped", "B"),
                ],
            )
        )
        .with_panel(
            series(
                "Dependencies reachable",
                "Lowest claims_dependency_up over workers: 1 when PostgreSQL / Kafka answer every"
                " worker, 0 when one cannot reach it (ClaimsDependencyDown after 2 minutes).",
                [query(f"min by (dependency) ({name(M.dependency_up)})", "{{dependency}}")],
                width=24,
            )
        )
        .with_panel(
            series(
                "Decision and settlement latency (p95)",
                "From the claim reaching Kafka to its decision; from the decision to the"
                " settlement commit.",
                [
                    query(p95(M.decision_latency, "program", PROGRAM), "decision {{program}}"),
                    query(
                        p95(M.settlement_latency, "program", PROGRAM), "settlement {{program}}", "B"
                    ),
                ],
                unit="s",
            )
        )
        .with_panel(
            series(
                "Database write latency (p95) by writer",
                "Time of one batched write, per writer.",
                [query(p95(M.db_latency, "writer"), "{{writer}}")],
                unit="s",
            )
        )
        .with_panel(
            series(
                "Database rows per batch and errors",
                "Mean rows per write, and errors per second.",
                [
                    query(
                        f"sum by (writer) (rate({rows}_sum[$__rate_interval]))"
                        f" / sum by (writer) (rate({rows}_count[$__rate_interval]))",
                        "rows {{writer}}",
                    ),
                    query(errors, "errors {{writer}} {{kind}}", "B"),
                ],
            )
        )
    )


def build() -> dashboard.Dashboard:
    program = (
        dashboard.QueryVariable("program")
        .label("Program")
        .datasource(DATASOURCE)
        .query(f"label_values({total(M.decisions)}, program)")
        .include_all(True)
        .multi(True)
        .all_value(".*")
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_ASC)
    )
    d = (
        dashboard.Dashboard("BPJS claims")
        .uid("bpjs-claims")
        .description(
            "Claims service: throughput, decisions, amounts, contributions and employers,"
            " deadlines, lag, dead letters, dependencies and database latency per program."
        )
        .tags(["bpjs", "claims"])
        .timezone("Asia/Jakarta")
        .readonly()
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .refresh("30s")
        .time("now-6h", "now")
        .with_variable(program)
    )
    for section in (throughput, settlement, contributions, deadlines, health):
        d = section(d)
    return d


def render(board: Builder[model.Dashboard]) -> str:
    built = board.build()
    for number, panel in enumerate(built.panels or [], start=1):  # ids unique on the page
        panel.id_val = number
    return json.dumps(built, cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def main() -> int:
    text = render(build())
    if sys.argv[1:] == ["--check"]:
        return 0 if OUT.read_text(encoding="utf-8") == text else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
