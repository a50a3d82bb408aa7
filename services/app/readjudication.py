"""Use case: judge recorded claims again under another rule set and say what would change.

A dry run: the recorded inputs (services/app/assessment_inputs.py) go through `assess` with the
new rules, and the new outcome, reasons, total and components are compared with the recorded
decision. Nothing is written anywhere; the caller only reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.app.assessment_inputs import AssessmentInputs, UnreadableInputs, decode_inputs
from services.rules import Approved, ReasonCode, RuleSet, assess


@dataclass(frozen=True)
class Judgement:
    """A decision as compared: outcome, reasons, total and the amount of each component code."""

    outcome: str
    reasons: tuple[str, ...]
    total: int
    components: tuple[tuple[str, int], ...]
    rule_set_version: str

    def amounts(self) -> dict[str, int]:
        """Amount per component code (codes that occur more than once are added up)."""
        out: dict[str, int] = {}
        for code, amount in self.components:
            out[code] = out.get(code, 0) + amount
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "reasons": list(self.reasons),
            "total": self.total,
            "components": self.amounts(),
            "rule_set_version": self.rule_set_version,
        }


@dataclass(frozen=True)
class Recorded:
    """A decided claim as PostgreSQL holds it (claims row + its decision's components)."""

    claim_id: str
    program: str
    event_date: date
    judgement: Judgement
    inputs: str | None


@dataclass(frozen=True)
class ComponentChange:
    code: str
    old: int
    new: int

    @property
    def delta(self) -> int:
        return self.new - self.old


@dataclass(frozen=True)
class ClaimDiff:
    """One claim judged again: the recorded and the new judgement and what differs."""

    claim_id: str
    program: str
    event_date: date
    old: Judgement
    new: Judgement
    components: tuple[ComponentChange, ...] = field(default=())

    @property
    def outcome_changed(self) -> bool:
        return self.old.outcome != self.new.outcome

    @property
    def reasons_changed(self) -> bool:
        return set(self.old.reasons) != set(self.new.reasons)

    @property
    def amount_changed(self) -> bool:
        return self.old.total != self.new.total or bool(self.components)

    @property
    def changed(self) -> bool:
        return self.outcome_changed or self.reasons_changed or self.amount_changed

    @property
    def delta(self) -> int:
        return self.new.total - self.old.total

    def as_dict(self) -> dict[str, Any]:
        return {
            "claim_id": self.claim_id,
            "program": self.program,
            "event_date": self.event_date.isoformat(),
            "changed": [
                name
                for name, flag in (
                    ("outcome", self.outcome_changed),
                    ("reasons", self.reasons_changed),
                    ("amount", self.amount_changed),
                )
                if flag
            ],
            "old": self.old.as_dict(),
            "new": self.new.as_dict(),
            "delta": self.delta,
            "components": [
                {"code": c.code, "old": c.old, "new": c.new, "delta": c.delta}
                for c in self.components
            ],
        }


@dataclass(frozen=True)
class NotReplayable:
    """A claim that cannot be judged again faithfully, and why."""

    claim_id: str
    program: str
    event_date: date
    reason: str


Result = ClaimDiff | NotReplayable


def judge(inputs: AssessmentInputs, rules: RuleSet) -> Judgement:
    """The rules' decision on recorded inputs, in the form decisions are recorded."""
    if inputs.coverage is None:  # the KPJ was never enrolled: no rule set changes that
        return Judgement("REJECTED", (ReasonCode.NOT_ENROLLED.value,), 0, (), rules.version)
    decision = assess(inputs.claim, inputs.coverage, inputs.prior_claims, rules)
    version = decision.provenance.rule_set_version
    if isinstance(decision, Approved):
        components = tuple((c.code, c.amount) for c in decision.provenance.components)
        return Judgement("APPROVED", (), decision.total, components, version)
    return Judgement("REJECTED", tuple(r.value for r in decision.reasons), 0, (), version)


def readjudicate(recorded: Recorded, rules: RuleSet) -> Result:
    """Judge one recorded claim again under `rules`."""
    if recorded.inputs is None:
        return NotReplayable(
            recorded.claim_id,
            recorded.program,
            recorded.event_date,
            "inputs not recorded (decided before migration 0002 / ClaimDecided v2)",
        )
    try:
        inputs = decode_inputs(recorded.inputs)
    except UnreadableInputs as e:
        return NotReplayable(recorded.claim_id, recorded.program, recorded.event_date, str(e))
    new = judge(inputs, rules)
    return ClaimDiff(
        recorded.claim_id,
        recorded.program,
        recorded.event_date,
        recorded.judgement,
        new,
        component_changes(recorded.judgement, new),
    )


def component_changes(old: Judgement, new: Judgement) -> tuple[ComponentChange, ...]:
    """Per component code, old and new amounts where they differ (0 when absent)."""
    before, after = old.amounts(), new.amounts()
    codes = list(dict.fromkeys([*before, *after]))
    return tuple(
        ComponentChange(code, before.get(code, 0), after.get(code, 0))
        for code in codes
        if before.get(code, 0) != after.get(code, 0)
    )


@dataclass
class ProgramSummary:
    """Counts and amounts of one program's claims in the dry run."""

    program: str
    examined: int = 0
    unchanged: int = 0
    outcome_changed: int = 0
    approved_to_rejected: int = 0
    rejected_to_approved: int = 0
    amount_changed: int = 0
    reasons_changed: int = 0
    not_replayable: int = 0
    total_before: int = 0
    total_after: int = 0

    @property
    def delta(self) -> int:
        return self.total_after - self.total_before

    def add(self, result: Result) -> None:
        self.examined += 1
        if isinstance(result, NotReplayable):
            self.not_replayable += 1
            return
        self.total_before += result.old.total
        self.total_after += result.new.total
        self.unchanged += not result.changed
        self.outcome_changed += result.outcome_changed
        self.approved_to_rejected += result.outcome_changed and result.new.outcome == "REJECTED"
        self.rejected_to_approved += result.outcome_changed and result.new.outcome == "APPROVED"
        self.amount_changed += result.amount_changed
        self.reasons_changed += result.reasons_changed

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "delta": self.delta}


def one_at_a_time(base: RuleSet, overrides: Mapping[str, object]) -> dict[str, RuleSet]:
    """The built-in rules with each override applied alone, by override key."""
    return {key: base.with_overrides({key: overrides[key]}) for key in sorted(overrides)}


def took_effect(recorded: Recorded, alone: Mapping[str, RuleSet]) -> tuple[str, ...]:
    """The override keys that, each applied alone (see `one_at_a_time`), change this claim's
    outcome, reasons or amount. Empty for a claim changed only by overrides acting together."""
    return tuple(
        key
        for key, rules in alone.items()
        if isinstance(result := readjudicate(recorded, rules), ClaimDiff) and result.changed
    )


def summarise(results: Iterable[Result]) -> dict[str, ProgramSummary]:
    """Per program (in JHT, JKK, JKM, JP order, then any other), plus "ALL"."""
    by_program: dict[str, ProgramSummary] = {}
    everything = ProgramSummary("ALL")
    for result in results:
        by_program.setdefault(result.program, ProgramSummary(result.program)).add(result)
        everything.add(result)
    order = {p: i for i, p in enumerate(("JHT", "JKK", "JKM", "JP"))}
    ordered = dict(sorted(by_program.items(), key=lambda kv: (order.get(kv[0], 9), kv[0])))
    return {**ordered, "ALL": everything}


def recorded_from_row(row: Mapping[str, Any]) -> Recorded:
    """A claims row (with its decision jsonb already parsed) as a Recorded decision."""
    components = tuple((c["code"], int(c["amount"])) for c in row["decision"]["components"])
    judgement = Judgement(
        row["outcome"],
        tuple(row["reasons"]),
        int(row["total"]),
        components,
        row["rule_set_version"],
    )
    return Recorded(
        row["claim_id"], row["program"], row["event_date"], judgement, row["assessment_inputs"]
    )
