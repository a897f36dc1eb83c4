"""Exact numbers for appraisal: reading them from files and rounding half-up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any


def to_fraction(value: Any) -> Fraction | None:
    """The exact value of a number as written (``"0.1"`` is 1/10), or None when not a number.

    Booleans are not numbers; a trailing ``%`` is allowed (``95%`` is 95)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Fraction(value)
    text = str(value).strip().replace(",", "")
    if text.endswith(("%", "％")):
        text = text[:-1].strip()
    if not text:
        return None
    try:
        d = Decimal(text)
    except InvalidOperation:
        return None
    if not d.is_finite():
        return None
    return Fraction(d)


def half_up(x: Fraction, places: int) -> Decimal:
    """``x`` rounded half-up (away from zero at .5) to ``places`` decimals, exactly."""
    scale = 10**places
    scaled = abs(x) * scale
    q, r = divmod(scaled.numerator, scaled.denominator)
    if 2 * r >= scaled.denominator:
        q += 1
    if x < 0:
        q = -q
    return Decimal(q).scaleb(-places).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def plain(x: Fraction | Decimal | int) -> str:
    """A number as a person writes it: ``90``, ``2.5``, ``83.3333`` (no exponent, no trailing 0)."""
    if isinstance(x, Fraction):
        if x.denominator == 1:
            return str(x.numerator)
        x = half_up(x, 4)
    d = Decimal(x)
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d.normalize(), "f")
