"""Properties of the NIK validator over arbitrary text: only 16 ASCII digits get past the format."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from services.rules.identity import NIK_FORMAT, Problem, birth_date_candidates, validate_nik

ASCII_NIK = re.compile(r"[0-9]{16}")
VALID = "3174011705800001"
# Every code point, surrogates included (st.text() leaves them out by default).
ANY_CHARACTER = st.characters(exclude_categories=())
# Digits that `\d` and int() accept but are not ASCII: full-width, Arabic-Indic, Devanagari, ...
OTHER_DIGITS = st.characters(categories=("Nd",)).filter(lambda c: not c.isascii())


def near_niks() -> st.SearchStrategy[str]:
    """A valid NIK with one character replaced by another digit or any character, or something
    added before or after it (a newline, NUL, a blank...)."""
    replaced = st.tuples(st.integers(0, 15), OTHER_DIGITS | ANY_CHARACTER).map(
        lambda t: VALID[: t[0]] + t[1] + VALID[t[0] + 1 :]
    )
    around = st.tuples(st.text(ANY_CHARACTER, max_size=3), st.text(ANY_CHARACTER, max_size=3)).map(
        lambda t: t[0] + VALID + t[1]
    )
    return replaced | around


texts = st.text(ANY_CHARACTER, max_size=40) | near_niks()


@given(texts)
@example(VALID + "\n")
@example("３１７４０１１７０５８０００００１")
@example(
    "\u0663\u0661\u0667\u0664\u0660\u0661\u0661\u0667\u0660\u0665\u0668\u0660\u0660\u0660\u0660\u0661"
)
@example(VALID[:8] + "\x00" + VALID[9:])
def test_validate_nik_never_raises_and_passes_only_sixteen_ascii_digits(nik: str) -> None:
    problems = validate_nik(nik)
    assert all(isinstance(p, Problem) for p in problems)
    if not ASCII_NIK.fullmatch(nik):
        assert problems == (Problem("nik", "<redacted>", NIK_FORMAT),)
        assert birth_date_candidates(nik) == ()


@given(st.from_regex(r"\A[0-9]{16}\Z"))
def test_sixteen_ascii_digits_are_judged_on_their_parts_never_on_their_format(nik: str) -> None:
    assert all(p.field != "nik" for p in validate_nik(nik))


@given(st.integers(0, 15), OTHER_DIGITS)
def test_a_nik_with_any_non_ascii_digit_is_refused_by_format_never_by_province(
    at: int, digit: str
) -> None:
    nik = VALID[:at] + digit + VALID[at + 1 :]
    assert [(p.field, p.reason) for p in validate_nik(nik)] == [("nik", NIK_FORMAT)]
