"""Use case: the employer side of a participant's events (#14).

- Every ContributionPosted is judged against the contribution due for its month
  (services/rules/contribution_check.check_posting): one ContributionCheckRow per posting, and the
  months still under-paid kept in the state, so they do not count as paid for coverage.
- An approved claim the employer must pay first (payable_by EMPLOYER_FIRST: more than the allowed
  months in arrears on the event date) becomes a BENEFIT_FIRST obligation, and gets no BPJS
  payment instruction (services/app/settlement.py). A JKK benefit cut to the reported wage
  becomes a WAGE_SHORTFALL obligation for the difference.
- Once the participant's months due for that program are all paid, BPJS reimburses the employer:
  one payment instruction to it (idempotency key "reimburse:<claim_id>"), issued once.

Pure: events in, rows and records out. The agent encodes and commits them with the batch.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from services.app import contribution_ledger as ledger
from services.app.employer_effects import (
    BENEFIT_FIRST,
    EMPLOYER_FIRST_REG,
    OBLIGATION_NS,
    PROGRAMS_BY_NAME,
    SHORTFALL_REG,
    WAGE_SHORTFALL,
    Obligation,
    Reimbursement,
    programs_in_force,
)
from services.app.records import ContributionCheckRow, ObligationRow, ReimbursementRow
from services.app.settlement import payment_instruction
from services.app.translation import SponsorLookup, to_coverage
from services.rules import Approved, Category, Program, RuleSet
from services.rules.contribution_check import MonthDue, PostingCheck, check_posting, month_due
from services.rules.deadlines import working_days_after
from services.rules.holidays import UnknownHolidayYear
from services.rules.standing import arrears_months


class EmployerAccounts:
    """Judges postings and raises obligations; keeps a cache of month dues (pure values)."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self._checks: dict[tuple[Any, ...], PostingCheck] = {}
        self._due: dict[tuple[Any, ...], MonthDue] = {}

    # -- contributions ---------------------------------------------------------------------
    def judge(
        self, before: Mapping[str, Any], after: dict[str, Any], record: Mapping[str, Any]
    ) -> tuple[dict[str, Any], tuple[ContributionCheckRow, ...]]:
        """The state with its under-paid months brought up to date, and the posting's checks."""
        period_text: str = record["period"]
        period = date.fromisoformat(f"{period_text}-01")
        category = Category(after["category"])
        risk = after.get("risk_class")
        wage = int(record["wage_base"])
        in_force = programs_in_force(after, period_text)
        posted: dict[Program, int] = {}
        for a in record["amounts"]:
            program = PROGRAMS_BY_NAME[a["program"]]
            posted[program] = posted.get(program, 0) + int(a["amount"])
        so_far = ledger.month_amounts(after[ledger.LEDGER], period_text)
        month_posted = {p: so_far.get(p.value, 0) for p in posted}
        # Pure in its inputs, and they repeat: one employer posts the same terms for many
        # workers in a month. A judgement is kept per terms (a bounded cache).
        key = (
            category, in_force, risk, period, wage, record["paid_date"],
            tuple(posted.items()), tuple(month_posted.items()),
        )  # fmt: skip
        check = self._checks.get(key)
        if check is None:
            if len(self._checks) > 50_000:
                self._checks.clear()
                self._due.clear()
            terms = key[:5]
            due = self._due.get(terms)
            if due is None:
                due = self._due[terms] = month_due(
                    category, in_force, risk, period, wage, self.rules
                )
            check = self._checks[key] = check_posting(
                category, in_force, risk, period, wage, posted, month_posted,
                record["paid_date"], self.rules, due,
            )  # fmt: skip
        return self._short_months(after, period_text, period, check), self._rows(
            after, record, period, wage, check
        )

    def _short_months(
        self, state: dict[str, Any], period_text: str, period: date, check: PostingCheck
    ) -> dict[str, Any]:
        short: dict[str, str] = dict(state.get(ledger.SHORT) or {})
        if not check.short and period_text not in short:
            return state  # the usual case: nothing short before, nothing short now
        if check.short and self.rules.flag("contribution.short_month_counts_as_paid", period):
            return state
        judged = {c.program for c in check.programs}
        still = {PROGRAMS_BY_NAME[p] for p in short.get(period_text, "").split("/") if p} - judged
        still |= check.short
        if still:
            short[period_text] = "/".join(sorted(p.value for p in still))
        else:
            short.pop(period_text, None)
        if not short:
            return {k: v for k, v in state.items() if k != ledger.SHORT}
        return {**state, ledger.SHORT: short}

    def _rows(
        self,
        state: Mapping[str, Any],
        record: Mapping[str, Any],
        period: date,
        wage: int,
        check: PostingCheck,
    ) -> tuple[ContributionCheckRow, ...]:
        return (
            ContributionCheckRow(
                event_id=record["event_id"],
                kpj=record["kpj"],
                participant_ref=state["ref"],
                employer_npp=state.get("npp"),
                category=state["category"],
                period=period,
                wage_base=wage,
                paid_on=check.paid_on,
                due_on=check.due_on,
                months_late=max((c.months_late for c in check.programs), default=0),
                lines=check.programs,
                rule_set_version=self.rules.version,
            ),
        )

    # -- obligations at the decision -------------------------------------------------------
    def obligations(
        self,
        state: Mapping[str, Any],
        decision: Approved,
        out: Mapping[str, Any],
        now: datetime,
    ) -> tuple[Obligation, ...]:
        """What the employer owes on an approved claim: the whole benefit first (arrears), and
        the shortfall of an under-reported wage."""
        found = []
        checks = {c.name: c for c in decision.provenance.checks}
        if decision.payable_by.value == "EMPLOYER_FIRST":
            arrears = checks.get("employer_arrears")
            found.append(
                self._obligation(
                    state, out, BENEFIT_FIRST, decision.components,
                    arrears.detail if arrears else "employer in arrears", EMPLOYER_FIRST_REG, now,
                )
            )  # fmt: skip
        if decision.employer_shortfall:
            wage = checks.get("wage_as_reported")
            found.append(
                self._obligation(
                    state, out, WAGE_SHORTFALL, decision.employer_shortfall,
                    wage.detail if wage else "wage under-reported", SHORTFALL_REG, now,
                )
            )  # fmt: skip
        return tuple(found)

    def _obligation(
        self,
        state: Mapping[str, Any],
        out: Mapping[str, Any],
        kind: str,
        components: tuple[Any, ...],
        reason: str,
        regulation: str,
        now: datetime,
    ) -> Obligation:
        claim_id = out["claim_id"]
        obligation_id = str(uuid.uuid5(OBLIGATION_NS, f"{claim_id}/{kind}"))
        lines = [
            {
                "code": c.code,
                "amount": c.amount,
                "formula": c.formula,
                "regulation": c.regulation,
                "inputs": dict(c.inputs),
            }
            for c in components
        ]
        amount = sum(c.amount for c in components)
        npp = state.get("npp")
        record = {
            "event_id": str(uuid.uuid5(OBLIGATION_NS, f"{obligation_id}/recorded")),
            "occurred_at": now.astimezone(UTC),
            "source": "bpjs-claims",
            "obligation_id": obligation_id,
            "kind": kind,
            "employer_npp": npp,
            "claim_id": claim_id,
            "kpj": out["kpj"],
            "program": out["program"],
            "amount": amount,
            "components": lines,
            "payee": out["payee"],
            "reason": reason,
            "regulation": regulation,
        }
        row = ObligationRow(
            obligation_id=obligation_id,
            kind=kind,
            claim_id=claim_id,
            employer_npp=npp,
            kpj=out["kpj"],
            participant_ref=out["participant_ref"],
            program=out["program"],
            amount=amount,
            components_json=json.dumps(lines, separators=(",", ":")),
            reason=reason,
            regulation=regulation,
        )
        return Obligation(row, record)

    # -- reimbursement once the arrears are paid -------------------------------------------
    def reimbursements(
        self,
        state: dict[str, Any],
        record: Mapping[str, Any],
        sponsors: SponsorLookup,
        now: datetime,
    ) -> tuple[dict[str, Any], tuple[Reimbursement, ...]]:
        """After a posting: every open employer-first claim whose program has no month left in
        arrears on the posting's payment date is reimbursed to the employer, once.

        Arrears are the participant's own months (the rule that made the claim employer-first,
        services/rules/checks.employer_arrears). Late penalties are recorded per posting but no
        upstream event reports their payment, so reimbursement waits on the contributions only
        (unconfirmed: the BPJS statement says arrears plus penalties)."""
        waiting = [
            (claim_id, s)
            for claim_id, s in state["claims"].items()
            if s.get("employer_first") and not s.get("reimbursed")
        ]
        if not waiting:
            return state, ()
        paid_on: date = record["paid_date"]
        coverage = to_coverage(state, sponsors)
        done: list[Reimbursement] = []
        claims = dict(state["claims"])
        for claim_id, summary in waiting:
            program = PROGRAMS_BY_NAME[summary["program"]]
            if arrears_months(coverage, program, paid_on) > 0:
                continue
            done.append(self._reimbursement(state, claim_id, summary, record, now))
            claims[claim_id] = {**summary, "reimbursed": True}
        if not done:
            return state, ()
        return {**state, "claims": claims}, tuple(done)

    def _reimbursement(
        self,
        state: Mapping[str, Any],
        claim_id: str,
        summary: Mapping[str, Any],
        record: Mapping[str, Any],
        now: datetime,
    ) -> Reimbursement:
        npp = state.get("npp")
        paid_on: date = record["paid_date"]
        days = self.rules.amount("employer_first.reimbursement.working_days", paid_on)
        cleared = f"ContributionPosted {record['event_id']} for {record['period']}, paid {paid_on}"
        try:
            due = working_days_after(paid_on, days)
        except UnknownHolidayYear as e:
            # The posting must not fail for the calendar: the reimbursement is issued with a
            # due date that counts weekdays only, and says so.
            due = working_days_after(paid_on, days, weekdays_only=True)
            cleared += f"; due date counts weekdays only ({e})"
        amount = int(summary["paid"])
        # The employer's registered account, resolved by the payment service from the NPP.
        payee = {"name": f"EMPLOYER NPP {npp}", "bank_code": "", "account_number": ""}
        instruction = payment_instruction(
            f"reimburse:{claim_id}", claim_id, summary["program"], payee, amount, due, now, npp
        )
        instruction_id = instruction["instruction_id"]
        obligation_id = str(uuid.uuid5(OBLIGATION_NS, f"{claim_id}/{BENEFIT_FIRST}"))
        row = ReimbursementRow(obligation_id, instruction_id, amount, due, cleared)
        return Reimbursement(row, instruction, claim_id, summary["program"])
