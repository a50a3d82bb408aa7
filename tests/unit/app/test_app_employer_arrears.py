"""An employer's arrears on a date: months due and not paid in full, and what is still owed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from app_events import CHANGED, ENDED, ENROLLED, NOW, POSTED, at, fixture, posting

from services.app import participant_state as ps
from services.app.adjudication import ParticipantEvents
from services.app.employer_arrears import MonthInArrears, employer_arrears
from services.rules import RuleSet

# PU, wage 5,000,000, JKK risk class 1: the month's contribution per program (2025).
DUE = {"JHT": 285_000, "JKK": 12_000, "JKM": 15_000, "JP": 150_000}
NOT_JP = ("JHT", "JKK", "JKM")


def pu(
    handler: ParticipantEvents,
    *events: tuple[str, dict[str, Any]],
    start: date = date(2025, 1, 1),
    programs: tuple[str, ...] = tuple(DUE),
    **enrolment: Any,
) -> ps.State:
    """A PU worker enrolled on `start` (wage 5,000,000, class 1), then these events applied."""
    fields = {
        "category": "PU", "employer_npp": "12345678", "jkk_risk_class": 1, "wage": 5_000_000,
        "sponsor_id": None, "batch_id": None, "enrolled_on": start,
        "programs": [{"program": p, "effective_date": start} for p in programs],
    }  # fmt: skip
    state = handler.apply(ENROLLED, fixture(ENROLLED, **{**fields, **enrolment}), None,
                          lambda _: None, at(0), NOW).state  # fmt: skip
    for offset, (name, record) in enumerate(events, 1):
        state = handler.apply(name, record, state, lambda _: None, at(offset), NOW).state
    assert state is not None
    return state


def paid(period: str, on: date, amounts: dict[str, int], wage: int = 5_000_000) -> Any:
    return POSTED, posting(period, f"p-{period}-{on}", amounts, paid_date=on, wage_base=wage)


def test_a_month_never_posted_is_owed_in_full_on_the_declared_wage(
    handler: ParticipantEvents, rules: RuleSet
) -> None:
    state = pu(handler, paid("2025-01", date(2025, 2, 10), DUE))
    found = employer_arrears({"K1": state}, date(2025, 3, 16), rules)
    assert found.months == tuple(
        MonthInArrears("K1", p, date(2025, 2, 1), 5_000_000, DUE[p], 0) for p in sorted(DUE)
    )
    assert {p: a.outstanding for p, a in found.programs.items()} == DUE
    assert found.programs["JHT"].months_due == 2 and found.programs["JHT"].unpaid == 1


def test_a_month_is_in_arrears_only_after_the_15th_of_the_next(
    handler: ParticipantEvents, rules: RuleSet
) -> None:
    state = pu(handler)
    assert employer_arrears({"K1": state}, date(2025, 2, 15), rules).months == ()
    assert len(employer_arrears({"K1": state}, date(2025, 2, 16), rules).months) == 4


def test_an_under_paid_month_owes_the_rest_on_the_wage_it_was_posted_on(
    handler: ParticipantEvents, rules: RuleSet
) -> None:
    # Posted on a 4,000,000 wage (JHT due 228,000) with 200,000 paid: 28,000 short.
    state = pu(handler, paid("2025-01", date(2025, 2, 10), {"JHT": 200_000}, wage=4_000_000),
               programs=("JHT", "JKK", "JKM"))  # fmt: skip
    found = employer_arrears({"K1": state}, date(2025, 2, 20), rules)
    jht = found.programs["JHT"]
    assert (jht.underpaid, jht.unpaid, jht.outstanding) == (1, 0, 28_000)
    assert found.months[0] == MonthInArrears("K1", "JHT", date(2025, 1, 1), 4_000_000, 228_000,
                                             200_000)  # fmt: skip
    assert found.programs["JKK"].outstanding == 9_600  # nothing posted for it: all of it


def test_a_top_up_clears_the_month(handler: ParticipantEvents, rules: RuleSet) -> None:
    state = pu(
        handler,
        paid("2025-01", date(2025, 2, 10), {**DUE, "JHT": 200_000}),
        paid("2025-01", date(2025, 2, 12), {"JHT": 85_000}),
    )
    assert employer_arrears({"K1": state}, date(2025, 2, 20), rules).months == ()


def test_on_an_earlier_date_a_month_paid_after_it_is_wholly_unpaid(
    handler: ParticipantEvents, rules: RuleSet
) -> None:
    state = pu(handler, paid("2025-01", date(2025, 4, 2), DUE))
    on_the_day = employer_arrears({"K1": state}, date(2025, 4, 2), rules)
    assert {m.period for m in on_the_day.months} == {date(2025, 2, 1)}  # January paid by then
    before = employer_arrears({"K1": state}, date(2025, 4, 1), rules)
    assert {m.period for m in before.months} == {date(2025, 1, 1), date(2025, 2, 1)}
    assert all(m.paid == 0 for m in before.months)
    assert before.programs["JHT"].outstanding == 2 * 285_000


def test_a_program_added_later_is_due_from_its_start_and_priced_with_it(
    handler: ParticipantEvents, rules: RuleSet
) -> None:
    added = fixture(CHANGED, event_id="jp-added", kpj=fixture(ENROLLED)["kpj"],
                    added=[{"program": "JP", "effective_date": date(2025, 2, 1)}],
                    removed=[], wage=None)  # fmt: skip
    state = pu(handler, (CHANGED, added), programs=NOT_JP)
    found = employer_arrears({"K1": state}, date(2025, 3, 20), rules)
    assert found.programs["JP"].months_due == 1 and found.programs["JHT"].months_due == 2
    assert [m.due for m in found.months if m.program == "JP"] == [150_000]


def test_no_month_is_due_after_coverage_ended(handler: ParticipantEvents, rules: RuleSet) -> None:
    ended = fixture(ENDED, event_id="resigned", kpj=fixture(ENROLLED)["kpj"],
                    end_date=date(2025, 1, 31))  # fmt: skip
    found = employer_arrears({"K1": pu(handler, (ENDED, ended))}, date(2025, 12, 31), rules)
    assert {m.period for m in found.months} == {date(2025, 1, 1)}


@pytest.mark.parametrize(
    ("enrolment", "why"),
    [
        ({"category": "PMI", "employer_npp": None}, "PMI contributions are due per placement"),
        ({"jkk_risk_class": None}, "no JKK risk class recorded for the employer"),
    ],
)
def test_a_month_the_rules_cannot_price_is_counted_not_priced(
    handler: ParticipantEvents, rules: RuleSet, enrolment: dict[str, Any], why: str
) -> None:
    programs = ("JKK", "JKM")
    found = employer_arrears({"K1": pu(handler, programs=programs, **enrolment)},
                             date(2025, 2, 16), rules)  # fmt: skip
    assert all(m.due is None and m.outstanding is None for m in found.months)
    assert all(m.why.startswith(why) for m in found.months)
    assert found.programs["JKK"].unpriced == 1 and found.programs["JKK"].outstanding == 0


def test_the_programs_add_up_every_participant(handler: ParticipantEvents, rules: RuleSet) -> None:
    one = pu(handler, paid("2025-01", date(2025, 2, 10), DUE))
    two = pu(handler, start=date(2025, 2, 1), programs=NOT_JP)
    found = employer_arrears({"K2": two, "K1": one}, date(2025, 3, 16), rules)
    jht = found.programs["JHT"]
    assert (jht.months_due, jht.months, jht.participants, jht.outstanding) == (
        3, 2, 2, 2 * 285_000,
    )  # fmt: skip
    assert found.due_by_month == {
        **{("JHT", date(2025, m, 1)): n for m, n in ((1, 1), (2, 2))},
        **{("JKK", date(2025, m, 1)): n for m, n in ((1, 1), (2, 2))},
        **{("JKM", date(2025, m, 1)): n for m, n in ((1, 1), (2, 2))},
        ("JP", date(2025, 1, 1)): 1,
        ("JP", date(2025, 2, 1)): 1,
    }
    assert [m.kpj for m in found.months] == ["K1"] * 4 + ["K2"] * 3  # by participant
