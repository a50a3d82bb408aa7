"""Heirs in statutory order and the payee among them (PP 44/2015; PP 46/2015 Pasal 26;
PP 45/2015 Pasal 16), for JKK and JKm deaths, the JHT balance on death and JP survivors."""

from __future__ import annotations

from datetime import date

from rules_factories import coverage, jkk_claim, months

from services.rules import (
    AccidentOutcome,
    Approved,
    Heir,
    HeirRelation,
    JhtClaim,
    JhtGround,
    JkmClaim,
    JpClaim,
    PensionKind,
    Program,
    Rejected,
    assess,
    default_rules,
)
from services.rules.heirs import entitled, normalised

SPOUSE = Heir("Siti Rahayu", HeirRelation.SPOUSE)
CHILD = Heir("Budi Santoso", HeirRelation.CHILD)
PARENT = Heir("Ani Wijaya", HeirRelation.PARENT)
SIBLING = Heir("Dewi Lestari", HeirRelation.SIBLING)
FRIEND = Heir("Joko Susilo", HeirRelation.OTHER)
DAY = date(2024, 3, 4)
RULES = default_rules()


def amounts(decision: object) -> dict[str, int]:
    assert isinstance(decision, Approved), decision
    return {c.code: c.amount for c in decision.components}


def reasons(decision: object) -> tuple[str, ...]:
    assert isinstance(decision, Rejected), decision
    return tuple(r.value for r in decision.reasons)


def jkk_death(heirs: tuple[Heir, ...], payee: str) -> object:
    claim = jkk_claim(
        AccidentOutcome.DEATH, DAY, 5_000_000, heirs=heirs, payee=payee, medical_costs=7_000_000
    )
    return assess(claim, coverage(), ())


def test_the_widow_and_children_come_first_together() -> None:
    assert entitled((PARENT, CHILD, SIBLING, SPOUSE), DAY, RULES) == (CHILD, SPOUSE)


def test_failing_them_parents_then_siblings_then_parents_in_law_then_a_will() -> None:
    in_law = Heir("Rina", HeirRelation.PARENT_IN_LAW)
    named = Heir("Yayasan", HeirRelation.WILL_NAMED)
    assert entitled((SIBLING, in_law, PARENT), DAY, RULES) == (PARENT,)
    assert entitled((named, in_law, SIBLING), DAY, RULES) == (SIBLING,)
    assert entitled((named, in_law), DAY, RULES) == (in_law,)
    assert entitled((FRIEND, named), DAY, RULES) == (named,)
    assert entitled((FRIEND,), DAY, RULES) == ()


def test_a_jkk_death_with_no_heir_pays_only_the_funeral_cost() -> None:
    for nobody in ((), (FRIEND,)):
        decision = jkk_death(nobody, "Pengurus Jenazah")
        assert amounts(decision) == {"JKK_FUNERAL": 10_000_000}
        assert isinstance(decision, Approved)
        (heir,) = [c for c in decision.provenance.checks if c.name == "eligible_heir"]
        assert not heir.passed and "only the funeral cost" in heir.detail


def test_a_jkk_death_with_heirs_pays_everything_to_an_heir_of_the_first_rank() -> None:
    paid = amounts(jkk_death((SPOUSE, CHILD, PARENT), "BUDI  santoso"))
    assert paid["JKK_DEATH"] == 48 * 5_000_000 and paid["JKK_FUNERAL"] == 10_000_000
    assert paid["JKK_MEDICAL"] == 7_000_000
    assert reasons(jkk_death((SPOUSE, CHILD, PARENT), PARENT.name)) == ("payee_not_beneficiary",)
    assert "JKK_DEATH" in amounts(jkk_death((SIBLING, PARENT), PARENT.name))
    assert reasons(jkk_death((SIBLING, PARENT), SIBLING.name)) == ("payee_not_beneficiary",)


def test_the_decision_names_relations_never_the_heirs() -> None:
    decision = jkk_death((SPOUSE, CHILD, PARENT), SPOUSE.name)
    assert isinstance(decision, Approved)
    text = " ".join(c.detail for c in decision.provenance.checks)
    assert "CHILD/SPOUSE" in text and "Siti" not in text and "Ani" not in text


def test_switching_off_the_funeral_only_rule_pays_a_death_without_heirs_in_full() -> None:
    rules = RULES.with_overrides({"jkk.death.no_heir_funeral_only": False})
    claim = jkk_claim(AccidentOutcome.DEATH, DAY, heirs=(), payee="X")
    assert "JKK_DEATH" in amounts(assess(claim, coverage(), (), rules))


def test_the_order_is_rule_data() -> None:
    rules = RULES.with_overrides({"heirs.rank.SIBLING": 2})
    assert entitled((SIBLING, PARENT), DAY, rules) == (SIBLING, PARENT)


def test_a_jkm_death_pays_the_entitled_heir_and_only_the_funeral_without_one() -> None:
    def jkm(heirs: tuple[Heir, ...], payee: str) -> object:
        return assess(JkmClaim("K-1", DAY, DAY, heirs, payee=payee), coverage(), ())

    assert sum(amounts(jkm((SIBLING,), SIBLING.name)).values()) == 42_000_000
    assert reasons(jkm((SPOUSE, SIBLING), SIBLING.name)) == ("payee_not_beneficiary",)
    assert amounts(jkm((FRIEND,), FRIEND.name)) == {"JKM_FUNERAL": 10_000_000}


def test_the_jht_balance_on_death_goes_to_an_entitled_heir() -> None:
    paid = months(date(2016, 1, 1), 60, 5_000_000, {Program.JHT: 285_000})
    cov = coverage(contributions=paid)

    def jht(heirs: tuple[Heir, ...], payee: str) -> object:
        claim = JhtClaim("J-1", DAY, DAY, JhtGround.DEATH, None, heirs, payee)
        return assess(claim, cov, ())

    assert isinstance(jht((SPOUSE,), "siti rahayu"), Approved)
    assert reasons(jht((), "Siti Rahayu")) == ("no_eligible_heir",)
    assert reasons(jht((FRIEND,), FRIEND.name)) == ("no_eligible_heir",)
    assert reasons(jht((SPOUSE, PARENT), PARENT.name)) == ("payee_not_beneficiary",)


def test_a_jp_survivor_pension_is_for_its_survivor_only() -> None:
    cov = coverage(contributions=months(date(2015, 7, 1), 100, 5_000_000, {Program.JP: 150_000}))

    def jp(kind: PensionKind, heirs: tuple[Heir, ...], payee: str) -> object:
        return assess(JpClaim("P-1", DAY, DAY, kind, heirs, payee), cov, ())

    assert isinstance(jp(PensionKind.WIDOW_WIDOWER, (SPOUSE, CHILD), SPOUSE.name), Approved)
    assert reasons(jp(PensionKind.WIDOW_WIDOWER, (SPOUSE,), CHILD.name)) == (
        "payee_not_beneficiary",
    )
    # A child pension comes after the widow(er); a parent pension only without spouse or child.
    assert reasons(jp(PensionKind.CHILD, (SPOUSE, CHILD), CHILD.name)) == ("no_eligible_heir",)
    assert isinstance(jp(PensionKind.CHILD, (CHILD,), CHILD.name), Approved)
    assert reasons(jp(PensionKind.PARENT, (CHILD, PARENT), PARENT.name)) == ("no_eligible_heir",)
    assert reasons(jp(PensionKind.PARENT, (), "Ani Wijaya")) == ("no_eligible_heir",)


def test_names_compare_without_case_or_extra_spaces() -> None:
    assert normalised("  SITI   Rahayu ") == normalised("siti rahayu")
    assert normalised("Siti Rahayu") != normalised("Siti Rahayu Putri")
