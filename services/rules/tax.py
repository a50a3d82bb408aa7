"""Income tax withheld on JHT payouts (PP 68/2009; UU PPh Pasal 17)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from services.rules.decision import Component, inputs
from services.rules.money import percent_text, rupiah_text, to_rupiah
from services.rules.tables import Confidence, RuleSet


def lump_sum_tax(amount: int, day: date, rules: RuleSet) -> Component:
    """Final PPh 21 on a lump sum: 0% up to Rp50m, 5% above (PP 68/2009 Pasal 5). A deduction:
    the component amount is negative. Rounded half up."""
    threshold = rules.amount("tax.lump_sum.threshold", day)
    rate = rules.rate("tax.lump_sum.rate_above", day)
    tax = to_rupiah(rate * max(amount - threshold, 0))
    return Component(
        "JHT_TAX_PPH21_FINAL",
        -tax,
        f"−{percent_text(rate)} × max(gross − {rupiah_text(threshold)}, 0)",
        "PP 68/2009 Pasal 5",
        inputs(gross=amount, threshold=threshold),
    )


def progressive_tax(amount: int, day: date, rules: RuleSet) -> Component:
    """Partial withdrawals are taxed at Art. 17 progressive rates (5/15/25/30/35%). Assumption
    (U): applied to the withdrawal alone, brackets from UU 7/2021; the employer's payroll may
    differ."""
    exact, lower = Fraction(0), 0
    for n in range(1, 6):
        upper = rules.amount(f"tax.art17.upper_{n}", day) or amount  # 0 = no upper bound
        exact += rules.rate(f"tax.art17.rate_{n}", day) * max(min(amount, upper) - lower, 0)
        lower = max(lower, upper)
    return Component(
        "JHT_TAX_PPH21_ART17",
        -to_rupiah(exact),
        "−Σ bracket rate × slice of gross",
        "UU PPh Pasal 17 jo UU 7/2021",
        inputs(gross=amount),
        Confidence.UNCONFIRMED,
    )
