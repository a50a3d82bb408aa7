"""Who is paid when a participant dies: the heirs in statutory order, and the payee among them.

PP 44/2015 (JKK and JKm; the same order in PP 46/2015 Pasal 26 for the JHT balance):
1. the widow or widower and the children;
2. failing them, blood relatives in the straight line up or down to the second degree (parents,
   grandparents, grandchildren); then siblings; then parents-in-law; then whoever a will names;
3. failing all of them, only the funeral cost is paid, to whoever arranged the burial, and the
   rest of the benefit stays in the fund (JKK and JKm).

Each relation's rank is rule data (``heirs.rank.<RELATION>``, 0: not an heir), so a reading of
the order that changes can be overridden like any other rule. An heir statement may name people
of several ranks; only those of the first rank present are entitled.
"""

from __future__ import annotations

from datetime import date

from services.rules.claims import Heir, HeirRelation
from services.rules.decision import Check, check
from services.rules.reasons import ReasonCode
from services.rules.tables import RuleSet


def rank(relation: HeirRelation, day: date, rules: RuleSet) -> int:
    """The relation's place in the statutory order (1 first; 0: not an heir)."""
    return rules.amount(f"heirs.rank.{relation.value}", day)


def entitled(heirs: tuple[Heir, ...], day: date, rules: RuleSet) -> tuple[Heir, ...]:
    """The heirs of the first rank present (spouse and children together), in claim order."""
    ranked = [(rank(h.relation, day, rules), h) for h in heirs]
    first = min((r for r, _ in ranked if r > 0), default=0)
    return tuple(h for r, h in ranked if first and r == first)


def describe(heirs: tuple[Heir, ...], chosen: tuple[Heir, ...]) -> str:
    """Relations only: an heir's name is personal data and stays out of the decision text."""
    if not chosen:
        named = ", ".join(sorted({h.relation.value for h in heirs})) or "none"
        return f"no statutory heir (named: {named})"
    relations = "/".join(sorted({h.relation.value for h in chosen}))
    left = len(heirs) - len(chosen)
    return f"{len(chosen)} entitled heir(s) ({relations})" + (
        f"; {left} of a later rank or none" if left else ""
    )


def normalised(name: str) -> str:
    """A name as compared: case-folded, runs of whitespace as one space."""
    return " ".join(name.split()).casefold()


def payee_check(payee: str, beneficiaries: tuple[Heir, ...], who: str) -> Check:
    """The payee on the instruction must be one of the beneficiaries (by name)."""
    ok = normalised(payee) in {normalised(h.name) for h in beneficiaries}
    return check(
        "payee_is_beneficiary",
        ok,
        f"payee is one of the {who}" if ok else f"payee is not one of the {who}",
        ReasonCode.PAYEE_NOT_BENEFICIARY,
    )


def heir_check(heirs: tuple[Heir, ...], chosen: tuple[Heir, ...]) -> Check:
    """At least one statutory heir (a rejection where the statute pays nothing without one)."""
    return check(
        "eligible_heir", bool(chosen), describe(heirs, chosen), ReasonCode.NO_ELIGIBLE_HEIR
    )
