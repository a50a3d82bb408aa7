"""Prometheus metrics: one object built from an injected registry, labels from small fixed sets."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Seconds from the event's own time to the decision / settlement: sub-second when healthy, minutes
# when a backlog builds, hours when a worker was down.
_LATENCY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 86400)
# Rows per database batch: 1 when idle, up to BATCH_SIZE under load.
_BATCH_BUCKETS = (1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000)
# Seconds per database transaction.
_DB_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class Metrics:
    """Every metric the service exports. Labels: topic, program, outcome, reason, error_class."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.events_consumed = Counter(
            "claims_events_consumed_total",
            "Messages consumed, per topic.",
            ["topic"],
            registry=registry,
        )
        self.events_applied = Counter(
            "claims_events_applied_total",
            "Upstream events applied to participant state, per event kind.",
            ["kind"],
            registry=registry,
        )
        self.decisions = Counter(
            "claims_decisions_total",
            "Claim decisions, per program and outcome.",
            ["program", "outcome"],
            registry=registry,
        )
        self.rejections = Counter(
            "claims_rejections_total",
            "Rejection reasons (a claim may have several), per program.",
            ["program", "reason"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "claims_dead_letters_total",
            "Messages sent to the dead-letter topic.",
            ["topic", "error_class"],
            registry=registry,
        )
        self.settled = Counter(
            "claims_settled_total",
            "Claims settled (first time only), per program.",
            ["program"],
            registry=registry,
        )
        self.contributions_checked = Counter(
            "claims_contributions_checked_total",
            "Posted contributions judged against the contribution due for their month, per"
            " program and result (EXACT, UNDERPAID, OVERPAID, NOT_CHECKED).",
            ["program", "result"],
            registry=registry,
        )
        self.contributions_late = Counter(
            "claims_contributions_late_total",
            "Posted contributions paid after their month's due date, per program.",
            ["program"],
            registry=registry,
        )
        self.contribution_penalties = Counter(
            "claims_contribution_penalty_rupiah_total",
            "Late-payment penalties recorded (2% a month late, PU), in Rupiah, per program.",
            ["program"],
            registry=registry,
        )
        self.employer_obligations = Counter(
            "claims_employer_obligations_total",
            "Employer obligations recorded, per program and kind (BENEFIT_FIRST, WAGE_SHORTFALL).",
            ["program", "kind"],
            registry=registry,
        )
        self.employer_obligation_amount = Counter(
            "claims_employer_obligation_amount_rupiah_total",
            "What employers owe on claims, in Rupiah, per program and kind.",
            ["program", "kind"],
            registry=registry,
        )
        self.reimbursements = Counter(
            "claims_employer_reimbursements_total",
            "Reimbursements issued to employers that paid an employer-first claim, per program.",
            ["program"],
            registry=registry,
        )
        self.settled_amount = Counter(
            "claims_settled_amount_rupiah_total",
            "Sum of settled benefit amounts in Rupiah.",
            ["program"],
            registry=registry,
        )
        self.decision_latency = Histogram(
            "claims_decision_latency_seconds",
            "Event time of the claim to its decision.",
            ["program"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.settlement_latency = Histogram(
            "claims_settlement_latency_seconds",
            "Event time of the claim to its settlement commit.",
            ["program"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.batch_size = Histogram(
            "claims_db_batch_rows",
            "Rows per database batch, per writer.",
            ["writer"],
            buckets=_BATCH_BUCKETS,
            registry=registry,
        )
        self.db_latency = Histogram(
            "claims_db_write_seconds",
            "Duration of one database write transaction.",
            ["writer"],
            buckets=_DB_BUCKETS,
            registry=registry,
        )
        self.db_errors = Counter(
            "claims_db_errors_total",
            "Database errors, per writer and kind (transient or not).",
            ["writer", "kind"],
            registry=registry,
        )
        self.fenced = Counter(
            "claims_batches_fenced_total",
            "Batches rolled back because another worker had already recorded their positions.",
            ["consumer"],
            registry=registry,
        )
        self.state_cache_entries = Gauge(
            "claims_state_cache_entries",
            "Participant states held in the worker's cache (bounded by STATE_CACHE_SIZE).",
            registry=registry,
        )
        self.state_loads = Counter(
            "claims_state_loads_total",
            "Participant states read from PostgreSQL because the cache did not hold them.",
            registry=registry,
        )
        # NaN while PostgreSQL cannot be read (an unlabelled gauge cannot be withdrawn): a stale
        # 0 would read as "nothing pending".
        self.outbox_backlog = Gauge(
            "claims_outbox_backlog",
            "Payment instructions written but not yet published (NaN: PostgreSQL unreachable).",
            registry=registry,
        )
        # Sampled every few seconds by streams/ops/observe.py: 1 when the dependency answers.
        self.dependency_up = Gauge(
            "claims_dependency_up",
            "1 when the dependency answers this worker (postgres: SELECT 1; kafka: metadata).",
            ["dependency"],
            registry=registry,
        )
        self.instructions_published = Counter(
            "claims_payment_instructions_published_total",
            "Payment instructions published.",
            registry=registry,
        )
        self.payments = Counter(
            "claims_payments_total",
            "Payment results applied, per program and status.",
            ["program", "status"],
            registry=registry,
        )
        self.late_interest = Counter(
            "claims_late_interest_rupiah_total",
            "Statutory late-payment interest accrued, in Rupiah.",
            ["program"],
            registry=registry,
        )
        # Sampled by streams/ops/observe.py. Lag: only the partitions this worker holds (a partition
        # is one label set: at most TOPIC_PARTITIONS per topic), so sum over workers per topic.
        self.consumer_lag = Gauge(
            "claims_consumer_lag_messages",
            "Messages behind the high-water mark (high-water minus committed), per partition.",
            ["topic", "partition"],
            registry=registry,
        )
        # Read from PostgreSQL by every worker: the same global figure on each, so aggregate
        # with max(), never sum().
        self.deadline_pending = Gauge(
            "claims_deadline_pending",
            "Settled, unpaid claims due within 2 working days (due_soon) or past due (overdue).",
            ["program", "state"],
            registry=registry,
        )
        # Read from PostgreSQL like the deadline gauges (aggregate with max()). Age buckets of
        # services/app/aged_unpaid.py: not_due, 1-7, 8-30, over_30 days past the due date.
        self.owed_instructions = Gauge(
            "claims_owed_instructions",
            "Payment instructions not yet paid (first, late interest, re-issued), per program and"
            " age past their due date.",
            ["program", "age"],
            registry=registry,
        )
        self.owed_amount = Gauge(
            "claims_owed_rupiah",
            "Rupiah of payment instructions not yet paid, per program and age past due date.",
            ["program", "age"],
            registry=registry,
        )
        self.instructions_issued = Counter(
            "claims_followup_instructions_total",
            "Follow-up payment instructions issued, per program and purpose (interest: the"
            " statutory late interest; reissue: a FAILED payment to a corrected payee).",
            ["program", "purpose"],
            registry=registry,
        )
        self.pension_changes = Counter(
            "claims_pension_changes_total",
            "Pension changes applied or rejected (with the rejection code), per change.",
            ["change", "outcome", "reason"],
            registry=registry,
        )
        self.payroll_instructions = Counter(
            "claims_payroll_instructions_total",
            "Monthly pension instructions the payroll wrote (a re-run writes none again).",
            registry=registry,
        )
        self.payroll_rupiah = Counter(
            "claims_payroll_rupiah_total",
            "Rupiah of the monthly pension instructions the payroll wrote.",
            registry=registry,
        )
        self.account_corrections = Counter(
            "claims_account_corrections_total",
            "Payee corrections applied (reissued) or rejected, with the rejection code.",
            ["outcome", "reason"],
            registry=registry,
        )
