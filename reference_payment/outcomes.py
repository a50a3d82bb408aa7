"""How an instruction is paid: on its due date by default, or drawn from a seed for the demo."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

Decide = Callable[[dict[str, Any]], tuple[str, date | None, str | None]]


def pay_on_due_date(instruction: dict[str, Any]) -> tuple[str, date | None, str | None]:
    """Default behaviour: every instruction is paid on its due date."""
    return "PAID", instruction["due_date"], None


def realistic(seed: int) -> Decide:
    """For the demo: most paid on time, some late (interest accrues), a few failed accounts.

    Each outcome is drawn from the seed and the instruction's idempotency key, never from the
    order instructions arrive in: a run with two workers pays exactly as a run with one."""

    def decide(ins: dict[str, Any]) -> tuple[str, date | None, str | None]:
        rng = random.Random(f"{seed}:{ins['idempotency_key']}")
        roll = rng.random()
        if roll < 0.01:
            return "FAILED", None, "account closed"
        if roll < 0.05:
            return "PAID", ins["due_date"] + timedelta(days=rng.randint(1, 5)), None
        return "PAID", ins["due_date"], None

    return decide
