"""Reference tables the simulator draws from: rates, minimum wages, caps, regions, names, banks."""

from __future__ import annotations

from datetime import date
from typing import Final

# Contribution rates in basis points of the wage (1 bp = 0.01%). PP 44/2015 Pasal 16 (JKK by risk
# class, JKM 0.30%), PP 46/2015 Pasal 16 (JHT 5.7%), PP 45/2015 Pasal 28 (JP 3% up to the cap).
# Kept here on purpose: the simulator must not import services.rules (built in parallel), and a
# generator that shares the rules' tables could not catch a wrong table anyway.
PU_JKK_BP_BY_RISK_CLASS: Final[dict[int, int]] = {1: 24, 2: 54, 3: 89, 4: 127, 5: 174}
PU_JKM_BP: Final = 30
PU_JHT_BP: Final = 570
PU_JP_BP: Final = 300

# BPU monthly (PP 44/2015 Lampiran II; PP 46/2015): JKK 1% of declared income (Rp10,000..207,000),
# JKM flat Rp6,800, JHT 2% of declared income. The PP 50/2025 BPU discount excludes contributions
# paid from APBN/APBD, so it never applies to the sponsored cohorts simulated here.
BPU_JKK_BP: Final = 100
BPU_JKK_MIN: Final = 10_000
BPU_JKK_MAX: Final = 207_000
BPU_JKM_FLAT: Final = 6_800
BPU_JHT_BP: Final = 200
# The lowest income bracket: what government sponsors declare for the cohorts they pay for.
BPU_MIN_INCOME: Final = 1_000_000

# JP wage cap (PP 45/2015 Pasal 29), effective from March contributions of each year (domain §2.3).
JP_WAGE_CAP: Final[dict[int, int]] = {
    2015: 7_000_000,
    2016: 7_335_300,
    2017: 7_703_500,
    2018: 8_094_000,
    2019: 8_512_400,
    2020: 8_939_700,
    2021: 8_754_600,
    2022: 9_077_600,
    2023: 9_559_600,
    2024: 10_042_300,
    2025: 10_547_400,
    2026: 11_086_300,
}

# UMP DKI Jakarta (governor's decrees). 2016, 2024, 2025 are the figures in the brief; the
# others are the decrees as recalled (S), 2026 unconfirmed (U). Only used to make wages plausible.
UMP_DKI: Final[dict[int, int]] = {
    2015: 2_700_000,
    2016: 3_100_000,
    2017: 3_355_750,
    2018: 3_648_035,
    2019: 3_940_973,
    2020: 4_276_349,
    2021: 4_416_186,
    2022: 4_641_854,
    2023: 4_901_798,
    2024: 5_067_381,
    2025: 5_396_761,
    2026: 5_729_876,
}


# PU declared wages, as multiples of the UMP (the wage floor: no PU wage below it). Assumption (U):
# no published distribution of the wages reported to BPJS in DKI was found. The PU cohorts stand
# in for the DKI formal workforce behind the published claims (3,824,261 active workers, domain
# §10), not only for street cleaners paid the UMP: the multiple above the UMP is log-normal with
# a median of +15% and a long tail (mean about +22%; 1 in 10 above +48%), capped at 3 × the UMP.
PU_WAGE_ABOVE_UMP_MEDIAN: Final = 0.15
PU_WAGE_ABOVE_UMP_SIGMA: Final = 0.9
PU_WAGE_MAX_PERMILLE: Final = 3_000
PU_WAGE_STEP_PERMILLE: Final = 10  # wage levels 1% apart: postings' terms are cached per level


# JP retirement age by calendar year (PP 45/2015 Pasal 15; domain §7.1).
def jp_retirement_age(year: int) -> int:
    """56 until 2018, 57 from 2019, then +1 every 3 years up to 65 (PP 45/2015 Pasal 15)."""
    if year < 2019:
        return 56
    return min(65, 57 + (year - 2019) // 3)


JHT_AGE: Final = 56  # Permenaker 4/2022: JHT uses a fixed 56, not the JP schedule.

# JKK partial-disability items, as codes of the rules' disability table (services/rules/
# defaults_benefits.py DISABILITY_PERCENT: PP 82/2019 Lampiran, the rows retrieved in domain §4.3).
# The claim carries the code itself, so it must be spelt exactly as the rules spell it
# (tests/unit/simulator checks every one is known to the rules).
DISABILITY_CODES: Final[tuple[str, ...]] = (
    "SIGHT_BOTH_EYES",
    "SIGHT_ONE_EYE",
    "HEARING_BOTH_EARS",
    "HEARING_ONE_EAR",
    "EAR_LEAF_ONE",
    "EAR_LEAVES_BOTH",
    "NOSE",
    "SMELL",
    "PARTIAL_VISION",
    "COLOUR_VISION",
    "ARM_RIGHT_FROM_SHOULDER",
    "ARM_LEFT_FROM_SHOULDER",
)
# Codes where a loss of *function* (not of the limb or organ) is plausible.
FUNCTIONAL_DISABILITY_CODES: Final = (
    "ARM_RIGHT_FROM_SHOULDER",
    "ARM_LEFT_FROM_SHOULDER",
    "HEARING_ONE_EAR",
)

# Province code -> (slug, weight ~ population in millions, regencies, cities). Regencies are coded
# 01.., cities 71.. (Permendagri kode wilayah). Weights only spread national cohorts plausibly.
PROVINCES: Final[dict[str, tuple[str, float, int, int]]] = {
    "11": ("aceh", 5.4, 18, 5),
    "12": ("sumatera-utara", 15.1, 25, 8),
    "13": ("sumatera-barat", 5.6, 12, 7),
    "14": ("riau", 6.6, 10, 2),
    "15": ("jambi", 3.6, 9, 2),
    "16": ("sumatera-selatan", 8.7, 13, 4),
    "17": ("bengkulu", 2.1, 9, 1),
    "18": ("lampung", 9.2, 13, 2),
    "19": ("bangka-belitung", 1.5, 6, 1),
    "21": ("kepulauan-riau", 2.1, 5, 2),
    "31": ("dki-jakarta", 10.7, 1, 5),
    "32": ("jawa-barat", 49.9, 18, 9),
    "33": ("jawa-tengah", 37.5, 29, 6),
    "34": ("yogyakarta", 3.7, 4, 1),
    "35": ("jawa-timur", 41.4, 29, 9),
    "36": ("banten", 12.3, 4, 4),
    "51": ("bali", 4.4, 8, 1),
    "52": ("nusa-tenggara-barat", 5.5, 8, 2),
    "53": ("nusa-tenggara-timur", 5.5, 21, 1),
    "61": ("kalimantan-barat", 5.5, 12, 2),
    "62": ("kalimantan-tengah", 2.7, 13, 1),
    "63": ("kalimantan-selatan", 4.2, 11, 2),
    "64": ("kalimantan-timur", 3.9, 7, 3),
    "65": ("kalimantan-utara", 0.7, 4, 1),
    "71": ("sulawesi-utara", 2.6, 11, 4),
    "72": ("sulawesi-tengah", 3.0, 12, 1),
    "73": ("sulawesi-selatan", 9.1, 21, 3),
    "74": ("sulawesi-tenggara", 2.7, 15, 2),
    "75": ("gorontalo", 1.2, 5, 1),
    "76": ("sulawesi-barat", 1.4, 6, 0),
    "81": ("maluku", 1.9, 9, 2),
    "82": ("maluku-utara", 1.3, 8, 2),
    "91": ("papua", 1.0, 8, 1),
    "92": ("papua-barat", 0.6, 7, 0),
    "93": ("papua-selatan", 0.5, 4, 0),
    "94": ("papua-tengah", 1.4, 8, 0),
    "95": ("papua-pegunungan", 1.4, 8, 0),
    "96": ("papua-barat-daya", 0.6, 5, 1),
}
# A two-digit code that is no province: used for the deliberately bad "unknown province" NIK.
UNKNOWN_PROVINCE_CODE: Final = "20"

# DKI Jakarta: regency code -> (branch slug, number of districts). 01 = Kepulauan Seribu.
JAKARTA_REGENCIES: Final[dict[str, tuple[str, int]]] = {
    "71": ("jakarta-pusat", 8),
    "72": ("jakarta-utara", 6),
    "73": ("jakarta-barat", 8),
    "74": ("jakarta-selatan", 10),
    "75": ("jakarta-timur", 10),
    "01": ("kepulauan-seribu", 2),
}
# Jambi regencies (only regencies have villages; the two cities have kelurahan).
JAMBI_REGENCIES: Final[dict[str, tuple[str, int]]] = {
    "01": ("kerinci", 18),
    "02": ("merangin", 24),
    "03": ("sarolangun", 10),
    "04": ("batanghari", 8),
    "05": ("muaro-jambi", 11),
    "06": ("tanjung-jabung-timur", 11),
    "07": ("tanjung-jabung-barat", 13),
    "08": ("tebo", 12),
    "09": ("bungo", 17),
}

MALE_NAMES: Final = (
    "Agus",
    "Ahmad",
    "Andi",
    "Arif",
    "Bambang",
    "Budi",
    "Dedi",
    "Dimas",
    "Eko",
    "Fajar",
    "Hadi",
    "Hendra",
    "Imam",
    "Joko",
    "Kurniawan",
    "Lukman",
    "Muhammad",
    "Nur",
    "Rudi",
    "Rizki",
    "Slamet",
    "Sugeng",
    "Supriyadi",
    "Teguh",
    "Wahyu",
    "Yusuf",
    "Zainal",
    "Asep",
    "Ujang",
    "Made",
    "Ketut",
)
FEMALE_NAMES: Final = (
    "Ani",
    "Ayu",
    "Dewi",
    "Dian",
    "Endang",
    "Fitri",
    "Indah",
    "Lestari",
    "Maya",
    "Nur",
    "Putri",
    "Ratna",
    "Rina",
    "Siti",
    "Sri",
    "Suryani",
    "Tuti",
    "Wulan",
    "Yanti",
    "Yuli",
    "Nining",
    "Euis",
    "Kadek",
    "Lina",
    "Novi",
    "Ratih",
    "Sari",
    "Wati",
    "Nurhayati",
    "Rahmawati",
)
FAMILY_NAMES: Final = (
    "Saputra",
    "Setiawan",
    "Hidayat",
    "Santoso",
    "Wijaya",
    "Pratama",
    "Kusuma",
    "Nugroho",
    "Siregar",
    "Nasution",
    "Harahap",
    "Lubis",
    "Simanjuntak",
    "Sitompul",
    "Hutapea",
    "Rahman",
    "Hasibuan",
    "Gunawan",
    "Susanto",
    "Firmansyah",
    "Syahputra",
    "Purnomo",
    "Wibowo",
    "Permana",
    "Ramadhan",
    "Maulana",
    "Hakim",
    "Tanjung",
    "Daulay",
    "Pohan",
)
# Bank Indonesia clearing codes: BRI, Mandiri, BNI, BCA, BSI, Bank DKI, Bank Jambi.
BANK_CODES: Final = ("002", "008", "009", "014", "451", "111", "115")

# The dates the scenarios run to: no clock is read, so a seed always gives the same events.
JAKARTA_AS_OF: Final = date(2026, 6, 30)
