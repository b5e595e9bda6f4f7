"""Random digit strings for the person to read aloud (the voice check's prompt)."""

from __future__ import annotations

import secrets
from typing import Any


def make_digit_prompt(rng: Any = None, length: int = 6) -> str:
    """Random digits to read aloud: no digit twice in a row, none more than twice in all.

    `rng` is a random.Random, a numpy Generator or None (the system's secure source, which
    the kiosk should use so that no recording can be prepared in advance)."""
    if length < 1 or length > 12:  # beyond 18 the two-per-digit rule can dead-end
        raise ValueError("length must be between 1 and 12")
    rng = rng if rng is not None else secrets.SystemRandom()
    pick = (lambda n: int(rng.integers(n))) if hasattr(rng, "integers") else (lambda n: rng.randrange(n))
    digits: list[str] = []
    while len(digits) < length:
        allowed = [d for d in "0123456789"
                   if (not digits or d != digits[-1]) and digits.count(d) < 2]
        digits.append(allowed[pick(len(allowed))])
    return "".join(digits)
