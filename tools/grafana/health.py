"""The dashboard's health row: lag, dead letters, workers, dependencies and latencies."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from tools.grafana.panels import PROGRAM, M, name, p95, query, rate, series, single, total


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
