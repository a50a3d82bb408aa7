"""Expected monthly contributions by category, wage, risk class and date (PP 44/2015, PP 45/2015,
PP 46/2015; Jakon Permenaker 44/2015 → 5/2021; PMI Permenaker 4/2023)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from services.rules.categories import Category, Program
from services.rules.money import to_rupiah
from services.rules.tables import RuleSet


@dataclass(frozen=True)
class Share:
    """One expected contribution line: program, who pays, amount (whole Rupiah, half up)."""

    program: Program
    payer: str
    amount: int
    regulation: str


def _share(program: Program, payer: str, rate: Fraction, base: int, reg: str) -> Share:
    return Share(program, payer, to_rupiah(rate * base), reg)


def pu(
    programs: frozenset[Program], wage: int, risk_class: int, on: date, rules: RuleSet
) -> tuple[Share, ...]:
    """PU: JKK by risk class (PP 44/2015 Pasal 16), JKm 0.30%, JHT 3.7% + 2% (PP 46/2015
    Pasal 16), JP 2% + 1% of the wage up to the JP cap (PP 45/2015 Pasal 28-29)."""

    def rate(key: str) -> Fraction:
        return rules.rate(f"contribution.pu.{key}", on)

    capped = min(wage, rules.amount("jp.wage_cap", on))
    lines = {
        Program.JKK: [
            _share(
                Program.JKK,
                "EMPLOYER",
                rate(f"jkk.class_{risk_class}"),
                wage,
                "PP 44/2015 Pasal 16",
            )
        ],
        Program.JKM: [_share(Program.JKM, "EMPLOYER", rate("jkm"), wage, "PP 44/2015")],
        Program.JHT: [
            _share(Program.JHT, "EMPLOYER", rate("jht.employer"), wage, "PP 46/2015"),
            _share(Program.JHT, "WORKER", rate("jht.worker"), wage, "PP 46/2015"),
        ],
        Program.JP: [
            _share(Program.JP, "EMPLOYER", rate("jp.employer"), capped, "PP 45/2015"),
            _share(Program.JP, "WORKER", rate("jp.worker"), capped, "PP 45/2015"),
        ],
    }
    return tuple(s for p in Program if p in programs for s in lines[p])


def bpu(
    programs: frozenset[Program],
    income: int,
    on: date,
    rules: RuleSet,
    transport_sector: bool = False,
) -> tuple[Share, ...]:
    """BPU: JKK 1% of declared income within Rp10,000-207,000, JKm Rp6,800 (PP 44/2015
    Lampiran II), JHT 2% (PP 46/2015); PP 50/2025 halves JKK+JKm for transport workers."""

    def value(key: str) -> int:
        return rules.amount(f"contribution.bpu.{key}", on)

    base = max(income, value("min_income"))
    jkk = min(
        max(to_rupiah(rules.rate("contribution.bpu.jkk.rate", on) * base), value("jkk.min")),
        value("jkk.max"),
    )
    keep = 1 - (rules.rate("contribution.bpu.transport_discount", on) if transport_sector else 0)
    lines = {
        Program.JKK: Share(Program.JKK, "PARTICIPANT", to_rupiah(keep * jkk), "PP 44/2015"),
        Program.JKM: Share(
            Program.JKM, "PARTICIPANT", to_rupiah(keep * value("jkm.flat")), "PP 44/2015"
        ),
        Program.JHT: _share(
            Program.JHT,
            "PARTICIPANT",
            rules.rate("contribution.bpu.jht.rate", on),
            base,
            "PP 46/2015",
        ),
    }
    return tuple(lines[p] for p in Program if p in programs and p in lines)


def jakon_by_wage(wage: int, on: date, rules: RuleSet) -> tuple[Share, ...]:
    """Construction worker with a known wage: JKK 1.74% + JKm 0.30% (Permenaker 44/2015)."""
    return tuple(
        _share(
            p,
            "CONTRACTOR",
            rules.rate(f"contribution.jakon.wage.{p.lower()}", on),
            wage,
            "Permenaker 44/2015",
        )
        for p in (Program.JKK, Program.JKM)
    )


def jakon_by_contract(contract_value: int, on: date, rules: RuleSet) -> tuple[Share, ...]:
    """Construction project by contract value excl. VAT, marginal tiers (Permenaker 44/2015)."""
    result = []
    for program in (Program.JKK, Program.JKM):
        exact, lower = Fraction(0), 0
        for n in range(1, 6):
            upper = rules.amount(f"contribution.jakon.tier_{n}.upper", on) or contract_value
            rate = rules.rate(f"contribution.jakon.tier_{n}.{program.lower()}", on)
            exact += rate * max(min(contract_value, upper) - lower, 0)
            lower = max(lower, upper)
        result.append(Share(program, "CONTRACTOR", to_rupiah(exact), "Permenaker 44/2015"))
    return tuple(result)


def pmi(phase: str, contract_months: int, on: date, rules: RuleSet) -> int:
    """PMI JKK+JKm per phase (Permenaker 4/2023 Pasal 18): before placement Rp37,500; during
    and after by contract length: ≤6 months Rp108,000, ≤12 Rp189,000, ≤24 Rp332,500, each month
    beyond 24 Rp13,500 (lengths between table points take the next one up: assumption, U)."""

    def value(key: str) -> int:
        return rules.amount(f"contribution.pmi.{key}", on)

    if phase == "BEFORE":
        return value("before")
    for months in (6, 12, 24):
        if contract_months <= months:
            return value(f"during_{months}")
    return value("during_24") + (contract_months - 24) * value("extra_month")


def expected(
    category: Category,
    programs: frozenset[Program],
    wage: int,
    on: date,
    rules: RuleSet,
    risk_class: int | None = None,
    transport_sector: bool = False,
) -> tuple[Share, ...]:
    """The monthly contribution due for a wage (declared income for BPU) on a date. PMI pay per
    placement phase: use ``pmi``; Jakon projects without a known wage: ``jakon_by_contract``."""
    if category is Category.PU:
        if risk_class is None and Program.JKK in programs:
            raise ValueError("a PU JKK contribution needs the employer's risk class (1-5)")
        return pu(programs, wage, risk_class or 1, on, rules)
    if category is Category.BPU:
        return bpu(programs, wage, on, rules, transport_sector)
    if category is Category.JAKON:
        return tuple(s for s in jakon_by_wage(wage, on, rules) if s.program in programs)
    raise ValueError("PMI contributions are per placement phase: use contributions.pmi")


def total_by_program(shares: tuple[Share, ...]) -> dict[Program, int]:
    """Employer + worker shares added up per program."""
    totals: dict[Program, int] = {}
    for share in shares:
        totals[share.program] = totals.get(share.program, 0) + share.amount
    return totals
