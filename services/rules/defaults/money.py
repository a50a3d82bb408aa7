"""Default money tables: contributions, JP tables, JHT returns and tax (PP 44/2015, PP 45/2015,
PP 46/2015 jo PP 60/2015, PP 68/2009)."""

from __future__ import annotations

from datetime import date

from services.rules.defaults.benefits import REGIME_START, C, D, S, U, pct, since_2015
from services.rules.tables import Row, table

PP45 = "PP 45/2015"

CONTRIBUTIONS = [
    *[
        since_2015(f"contribution.pu.jkk.class_{n}", pct(p), "PP 44/2015 Pasal 16(1)")
        for n, p in ((1, "0.24"), (2, "0.54"), (3, "0.89"), (4, "1.27"), (5, "1.74"))
    ],
    since_2015("contribution.pu.jkm", pct("0.30"), "PP 44/2015"),
    since_2015("contribution.pu.jht.employer", pct("3.7"), "PP 46/2015 Pasal 16"),
    since_2015("contribution.pu.jht.worker", pct("2"), "PP 46/2015 Pasal 16"),
    since_2015("contribution.pu.jp.employer", pct("2"), f"{PP45} Pasal 28"),
    since_2015("contribution.pu.jp.worker", pct("1"), f"{PP45} Pasal 28"),
    since_2015("contribution.bpu.jkk.rate", pct("1"), "PP 44/2015 Lampiran II", S),
    since_2015("contribution.bpu.jkk.min", 10_000, "PP 44/2015 Lampiran II", S),
    since_2015("contribution.bpu.jkk.max", 207_000, "PP 44/2015 Lampiran II", S),
    since_2015("contribution.bpu.min_income", 1_000_000, "PP 44/2015 Lampiran II", S),
    since_2015("contribution.bpu.jkm.flat", 6_800, "PP 44/2015 Lampiran"),
    since_2015("contribution.bpu.jht.rate", pct("2"), "PP 46/2015"),
    table(
        "contribution.bpu.transport_discount",
        Row(REGIME_START, pct("0"), "none before PP 50/2025"),
        Row(date(2026, 1, 1), pct("50"), "PP 50/2025 (transport sector)", S),
        Row(date(2027, 4, 1), pct("0"), "PP 50/2025 discount ends after Mar 2027", S),
    ),
    since_2015("contribution.jakon.wage.jkk", pct("1.74"), "Permenaker 44/2015 → 5/2021", S),
    since_2015("contribution.jakon.wage.jkm", pct("0.30"), "Permenaker 44/2015 → 5/2021", S),
    *[
        since_2015(f"contribution.jakon.tier_{n}.{what}", value, "Permenaker 44/2015 → 5/2021", S)
        for n, limit, jkk, jkm in (
            (1, 100_000_000, "0.21", "0.03"),
            (2, 500_000_000, "0.17", "0.02"),
            (3, 1_000_000_000, "0.13", "0.02"),
            (4, 5_000_000_000, "0.11", "0.01"),
            (5, 0, "0.09", "0.01"),
        )
        for what, value in (("upper", limit), ("jkk", pct(jkk)), ("jkm", pct(jkm)))
    ],
    *[
        since_2015(f"contribution.pmi.{what}", value, "Permenaker 4/2023 Pasal 18")
        for what, value in (
            ("before", 37_500),
            ("during_6", 108_000),
            ("during_12", 189_000),
            ("during_24", 332_500),
            ("extra_month", 13_500),
        )
    ],
    since_2015("contribution.pmi.jht.min", 50_000, "Permenaker 4/2023", S),
    since_2015("contribution.pmi.jht.max", 600_000, "Permenaker 4/2023", S),
    since_2015("contribution.late_penalty.monthly_rate", pct("2"), "PP 44/2015, 45/2015, 46/2015"),
    # How a posting is judged (services/rules/contribution_check.check_posting). No regulation
    # states a rounding slack or how a short month counts; these are the service's own rules.
    since_2015("contribution.check.tolerance", 0, "no regulation found: exact Rupiah (ours)", U),
    since_2015(
        "contribution.short_month_counts_as_paid",
        False,
        "no regulation found: a month is paid once its full contribution is (ours)",
        U,
    ),
    since_2015(
        "contribution.late_penalty.partial_month_counts",
        True,
        "no regulation found: each month or part of one after the due date (ours)",
        U,
    ),
    since_2015("contribution.late_penalty.bpu", False, "BPU pay no late penalty (gridstar)", S),
    since_2015("contribution.late_penalty.jakon", False, "no source found for Jakon", U),
    # Employer-first (PP 44/2015 jo PP 82/2019): the employer pays the benefit; BPJS reimburses
    # it once the arrears are settled. No deadline found for the reimbursement: the JKP analogue
    # (PP 6/2025 Pasal 39: 7 working days) stands in.
    since_2015(
        "employer_first.reimbursement.working_days", 7, "PP 6/2025 Pasal 39 (JKP analogue)", U
    ),
]

JP_WAGE_CAP = table(
    "jp.wage_cap",
    Row(REGIME_START, 7_000_000, f"{PP45} Pasal 29"),
    *[
        Row(date(year, 3, 1), cap, f"{PP45} Pasal 29; {letter}", conf)
        for year, cap, letter, conf in (
            (2016, 7_335_300, "BPJS letter (krishand)", C),
            (2017, 7_703_500, "BPJS letter", C),
            (2018, 8_094_000, "BPJS letter", C),
            (2019, 8_512_400, "BPJS letter", C),
            (2020, 8_939_700, "B/1328/022020", C),
            (2021, 8_754_600, "SE B/0246/022021", C),
            (2022, 9_077_600, "BPJS letter (gadjian)", C),
            (2023, 9_559_600, "B/77/022023", C),
            (2024, 10_042_300, "B/1387/022024", C),
            (2025, 10_547_400, "B/726/022025", U),
            (2026, 11_086_300, "SE B/1226/022026", U),
        )
    ],
)

# 2016-2021 are the 2015 values chained with CPI and rounded up to Rp100. The chain lands Rp100
# above the published 2022 minimum, so these rows are approximate (U); 2022 onward are published.
JP_MIN_MAX = [
    table(
        f"jp.benefit_{which}",
        Row(REGIME_START, first, f"{PP45} Pasal 18"),
        *[Row(date(year, 1, 1), value, f"{PP45} Pasal 18", conf) for year, value, conf in rows],
    )
    for which, first, rows in (
        (
            "min",
            300_000,
            (
                (2016, 310_100, U),
                (2017, 319_500, U),
                (2018, 331_100, U),
                (2019, 341_500, U),
                (2020, 350_800, U),
                (2021, 356_700, U),
                (2022, 363_300, C),
                (2023, 383_400, C),
                (2024, 393_500, C),
                (2025, 399_700, D),
            ),
        ),
        (
            "max",
            3_600_000,
            (
                (2016, 3_720_600, U),
                (2017, 3_833_000, U),
                (2018, 3_971_400, U),
                (2019, 4_095_800, U),
                (2020, 4_207_300, U),
                (2021, 4_278_000, U),
                (2022, 4_357_900, C),
                (2023, 4_598_100, C),
                (2024, 4_718_200, C),
                (2025, 4_792_300, D),
            ),
        ),
    )
]
JP_MIN_MAX_2026 = [
    table(key, Row(date(2026, 2, 1), value, f"{PP45} Pasal 18 (payroll sources)", U))
    for key, value in (("jp.benefit_min", 411_400), ("jp.benefit_max", 4_932_300))
]

INFLATION = table(
    "jp.inflation",
    *[
        Row(date(year, 1, 1), pct(p), "BPS December year on year", conf)
        for year, p, conf in (
            (2015, "3.35", S),
            (2016, "3.02", S),
            (2017, "3.61", S),
            (2018, "3.13", S),
            (2019, "2.72", S),
            (2020, "1.68", S),
            (2021, "1.87", S),
            (2022, "5.51", D),
            (2023, "2.61", D),
            (2024, "1.57", D),
            (2025, "2.92", D),
        )
    ],
)

RETIREMENT_AGE = table(
    "jp.retirement_age",
    *[
        Row(
            date(year, 1, 1) if year > 2015 else REGIME_START,
            age,
            f"{PP45} Pasal 15",
            C if year <= 2022 else D,
        )
        for year, age in (
            (2015, 56),
            (2019, 57),
            (2022, 58),
            (2025, 59),
            (2028, 60),
            (2031, 61),
            (2034, 62),
            (2037, 63),
            (2040, 64),
            (2043, 65),
        )
    ],
)

JHT_RATE = table(
    "jht.development_rate",
    Row(date.min, pct("7.19"), "PP 46/2015: 2016 rate carried back (not found)", U),
    Row(date(2016, 1, 1), pct("7.19"), "PP 46/2015; 2016 credited rate (pasardana)", C),
    Row(date(2017, 1, 1), pct("7.19"), "PP 46/2015: 2016 rate carried forward (not found)", U),
)

MONEY_TABLES = [
    *CONTRIBUTIONS,
    JP_WAGE_CAP,
    *JP_MIN_MAX,
    INFLATION,
    RETIREMENT_AGE,
    JHT_RATE,
    since_2015("jp.accrual_rate", pct("1"), f"{PP45} Pasal 17"),
    since_2015("jp.full_pension_months", 180, f"{PP45} Pasal 19"),
    since_2015("jp.density_min", pct("80"), f"{PP45} Pasal 20; Permenaker 29/2015 Pasal 26"),
    since_2015("jp.disability.min_membership_months", 1, f"{PP45} Pasal 20"),
    since_2015("jp.survivor.min_membership_months", 12, "Permenaker 29/2015 Pasal 26"),
    since_2015("jp.share.WIDOW_WIDOWER", pct("50"), f"{PP45} Pasal 21-23 area (not confirmed)", U),
    since_2015("jp.share.CHILD", pct("50"), f"{PP45} Pasal 21-23 area (not confirmed)", U),
    since_2015("jp.share.PARENT", pct("20"), f"{PP45} Pasal 21-23 area (not confirmed)", U),
    since_2015("jp.max_children", 2, f"{PP45} Pasal 16 (child pension: at most 2 children)"),
    since_2015("jp.child.max_age", 23, f"{PP45} Pasal 16 (child pension ends at 23)"),
    # The payroll (benefits over time): when the yearly indexation applies and when a month's
    # pension is due. Neither is stated in PP 45/2015: January (the CPI year's turn) and the
    # month's first working day are our assumptions.
    since_2015("jp.indexation_month", 1, f"{PP45} Pasal 17 (the month: not stated)", U),
    since_2015("jp.payroll.due_working_day", 1, "JP payment deadline not found", U),
    table(
        "jp.lump_sum.development_rate",
        Row(date.min, pct("7.19"), "PP 45/2015: JHT 2016 rate assumed (not found)", U),
    ),
    since_2015("jht.age", 56, "Permenaker 4/2022"),
    since_2015("jht.waiting_months", 1, "Permenaker 4/2022"),
    since_2015("jht.partial.min_membership_years", 10, "PP 46/2015 jo PP 60/2015"),
    since_2015("jht.partial_10.rate", pct("10"), "PP 46/2015 jo PP 60/2015"),
    since_2015("jht.partial_30.rate", pct("30"), "PP 46/2015 jo PP 60/2015"),
    table("tax.lump_sum.threshold", Row(date.min, 50_000_000, "PP 68/2009 Pasal 5")),
    table("tax.lump_sum.rate_above", Row(date.min, pct("5"), "PP 68/2009 Pasal 5")),
    *[
        table(f"tax.art17.{what}_{n}", Row(date.min, value, "UU PPh Pasal 17 jo UU 7/2021", U))
        for n, upper, rate in (
            (1, 60_000_000, "5"),
            (2, 250_000_000, "15"),
            (3, 500_000_000, "25"),
            (4, 5_000_000_000, "30"),
            (5, 0, "35"),
        )
        for what, value in (("upper", upper), ("rate", pct(rate)))
    ],
]
