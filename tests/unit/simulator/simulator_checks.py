"""Independent checks of simulator output, written apart from the simulator on purpose."""

from __future__ import annotations

from datetime import date

from simulator.reference import PROVINCES


def nik_problem(nik: str, birth: date) -> str | None:
    """Independent NIK check (domain §8); None when valid and agreeing with the birth date."""
    if len(nik) != 16 or not nik.isdigit():
        return "format"
    if nik[:2] not in PROVINCES:
        return "province"
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > 40:
        day -= 40
    if (day, month, yy) != (birth.day, birth.month, birth.year % 100):
        return "birth_date"
    if nik[12:] == "0000":
        return "serial"
    return None
