"""Default benefit tables: JKK, JKm, scholarships, disability, deadlines (PP 44/2015 jo PP 82/2019;
deadlines PP 44/2015 Pasal 37 and 40, Permenaker 4/2022)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.rules.tables import Confidence, Row, table

C, S, D, U = (
    Confidence.CONFIRMED,
    Confidence.SINGLE_SOURCE,
    Confidence.DERIVED,
    Confidence.UNCONFIRMED,
)
REGIME_START = date(2015, 7, 1)
"""PP 44/2015 (JKK, JKm), PP 45/2015 (JP) and PP 46/2015 (JHT) took effect on 1 July 2015."""
PP82_START = date(2019, 12, 2)
"""PP 82/2019 (higher JKK/JKm benefits, 5-year JKK expiry) took effect on 2 December 2019."""
PP44 = "PP 44/2015"
PP82 = "PP 44/2015 jo PP 82/2019"


def pct(text: str) -> Decimal:
    """A percentage written as text, as an exact Decimal rate: pct('0.89') == Decimal('0.0089')."""
    return Decimal(text) / 100


def since_2015(
    key: str, value: int | Decimal | bool, reg: str, conf: Confidence = C
) -> tuple[str, tuple[Row, ...]]:
    """A rule with one value since the 2015 regime start."""
    return table(key, Row(REGIME_START, value, reg, conf))


def before_after_pp82(
    key: str, before: int | Decimal | bool, after: int | Decimal | bool, before_conf: Confidence = C
) -> tuple[str, tuple[Row, ...]]:
    """A rule whose value changed with PP 82/2019."""
    return table(key, Row(REGIME_START, before, PP44, before_conf), Row(PP82_START, after, PP82))


# Transport caps before PP 82/2019 were not retrieved; the current caps stand in for them (U).
TRANSPORT = [
    table(
        f"jkk.transport_cap.{mode}", Row(REGIME_START, cap, PP44, U), Row(PP82_START, cap, PP82, S)
    )
    for mode, cap in (("LAND", 5_000_000), ("SEA", 2_000_000), ("AIR", 10_000_000))
]

# PP 82/2019 Lampiran, partially retrieved (seputarpabrik, S). Per-10-dB rows are listed once per
# 10 dB step. The scalp row (10-30%) needs an assessor's figure and is not encoded. The rest of the
# table (lower arm, hand, fingers, legs, toes) was NOT retrieved: add rows by configuration.
DISABILITY_TABLE_PARTIAL = True
DISABILITY_PERCENT = {
    "SIGHT_BOTH_EYES": "70",
    "SIGHT_ONE_EYE": "35",
    "DIPLOPIA": "35",
    "HEARING_BOTH_EARS": "40",
    "HEARING_ONE_EAR": "20",
    "HEARING_LOSS_BOTH_EARS_PER_10DB": "6",
    "HEARING_LOSS_ONE_EAR_PER_10DB": "3",
    "EAR_LEAF_ONE": "5",
    "EAR_LEAVES_BOTH": "10",
    "NOSE": "30",
    "NASAL_SEPTUM_PERFORATION": "15",
    "SMELL": "10",
    "PARTIAL_VISION": "7",
    "COLOUR_VISION": "10",
    "VISUAL_FIELD_10_PERCENT": "7",
    "ARM_RIGHT_FROM_SHOULDER": "40",
    "ARM_LEFT_FROM_SHOULDER": "35",
}
DISABILITY = [
    since_2015(f"jkk.disability.{code}", pct(p), f"{PP82} Lampiran (partial table)", S)
    for code, p in DISABILITY_PERCENT.items()
]

SCHOOL = [
    table(f"scholarship.{level}.{what}", Row(PP82_START, value, PP82))
    for level, per_year, years in (
        ("TK", 1_500_000, 2),
        ("SD", 1_500_000, 6),
        ("SMP", 2_000_000, 3),
        ("SMA", 3_000_000, 3),
        ("UNIVERSITY", 12_000_000, 5),
    )
    for what, value in (("per_year", per_year), ("years", years))
]

# The statutory order of heirs (services/rules/heirs.py): 1 widow/widower and children; 2 blood
# relatives up or down to the 2nd degree; 3 siblings; 4 parents-in-law; 5 a person named in a will.
HEIR_ORDER = f"{PP44} (JKK, JKm); PP 46/2015 Pasal 26 (JHT)"
HEIRS = [
    since_2015(f"heirs.rank.{relation}", rank, HEIR_ORDER)
    for relation, rank in (
        ("SPOUSE", 1),
        ("CHILD", 1),
        ("PARENT", 2),
        ("GRANDPARENT", 2),
        ("GRANDCHILD", 2),
        ("SIBLING", 3),
        ("PARENT_IN_LAW", 4),
        ("WILL_NAMED", 5),
    )
] + [since_2015("heirs.rank.OTHER", 0, f"{HEIR_ORDER}: not in the order, not an heir")]

BENEFIT_TABLES = [
    before_after_pp82("jkk.expiry_years", 2, 5),
    *TRANSPORT,
    since_2015("jkk.stmb.full_pay_days", 360, f"{PP82} (12 months at 30 days a month)"),
    since_2015("jkk.stmb.days_per_month", 30, "convention: 1 month = 30 days (no rule found)", U),
    since_2015("jkk.stmb.full_rate", pct("100"), PP82),
    since_2015("jkk.stmb.later_rate", pct("50"), PP82),
    since_2015("jkk.months_multiplier", 80, PP82),
    since_2015("jkk.total_disability.rate", pct("70"), PP82),
    since_2015("jkk.death.rate", pct("60"), PP82),
    since_2015("jkk.death.at_least_jkm_lump_sum", True, PP82, S),
    since_2015(
        "jkk.partial_disability.max_percent", pct("70"), "assumed: total disability rate", U
    ),
    *DISABILITY,
    before_after_pp82("jkk.funeral", 3_000_000, 10_000_000),
    before_after_pp82("jkk.periodic", 4_800_000, 12_000_000),
    since_2015("jkk.employer_first.after_arrears_months", 3, f"{PP44} (BPJS statement)"),
    before_after_pp82("jkm.lump_sum", 16_200_000, 20_000_000),
    before_after_pp82("jkm.periodic", 4_800_000, 12_000_000),
    before_after_pp82("jkm.funeral", 3_000_000, 10_000_000),
    *HEIRS,
    since_2015("jkk.death.no_heir_funeral_only", True, f"{PP44} (heir order, point 3)"),
    since_2015("jkm.no_heir_funeral_only", True, f"{PP44} (heir order, as for JKK)", S),
    since_2015("jkm.pmi_during_placement", 85_000_000, "Permenaker 18/2018 → 4/2023"),
    before_after_pp82("jkm.scholarship.min_contribution_months", 60, 36),
    since_2015("jkm.employer_first.applies", True, "assumed same as JKK", U),
    since_2015("jkm.employer_first.after_arrears_months", 3, "assumed same as JKK", U),
    before_after_pp82("scholarship.by_level", False, True),
    before_after_pp82("scholarship.flat_amount", 12_000_000, 0, S),
    since_2015("scholarship.max_children", 2, PP82),
    since_2015("scholarship.max_child_age", 23, PP82),
    # Paid by school year (PP 82/2019: "paid yearly"); the school year's month and the age a
    # child not yet in school starts TK are not in the regulation: July and 4 (unconfirmed).
    since_2015("scholarship.school_year_month", 7, f"{PP82} (the month: not stated)", U),
    since_2015("scholarship.school_start_age", 4, f"{PP82} (TK age: not stated)", U),
    *SCHOOL,
    since_2015("bpu.lapse_after_unpaid_months", 3, "BPJS branch statements (gridstar)", S),
    since_2015("bpu.payment_after_event_counts", False, "no regulation found (unconfirmed)", U),
    since_2015("deadline.JKM.working_days", 3, f"{PP44} Pasal 40"),
    since_2015("deadline.JHT.working_days", 5, "Permenaker 4/2022"),
    since_2015("deadline.JKK.working_days", 7, f"{PP44} Pasal 37"),
    since_2015("deadline.JP.working_days", 5, "no rule found: JHT's 5 days assumed", U),
    since_2015("late_interest.JKK.daily_rate", pct("1"), f"{PP44} Pasal 37"),
    since_2015("late_interest.JKM.daily_rate", pct("1"), f"{PP44} Pasal 40"),
    since_2015("late_interest.JHT.daily_rate", pct("0"), "no statutory late interest found", U),
    since_2015("late_interest.JP.daily_rate", pct("0"), "no statutory late interest found", U),
]
