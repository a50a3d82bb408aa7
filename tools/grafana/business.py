"""The dashboard's business rows: throughput, settlement and payment, contributions, deadlines."""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, common, dashboard

from tools.grafana.panels import (
    DATASOURCE,
    PROGRAM,
    M,
    in_range,
    name,
    query,
    rate,
    series,
    single,
    total,
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
