"""Exact numbers for appraisal: reading them from files and rounding half-up."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

_PLAIN = re.compile(r"([-+]?)(\d+)(?:\.(\d+))?")


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
    m = _PLAIN.fullmatch(text)
    if m:  # the usual case, without Decimal's detour
        sign, whole, frac = m.groups()
        n = int(whole + (frac or ""))
        return Fraction(-n if sign == "-" else n, 10 ** len(frac or ""))
    try:
        d = Decimal(text)
    except InvalidOperation:
        return None
    if not d.is_finite():
        return None
    return Fraction(d)


def _half_up_int(x: Fraction, places: int) -> int:
    """round(x × 10^places), halves away from zero, in integers."""
    n, d = x.numerator, x.denominator
    q, r = divmod(abs(n) * 10**places, d)
    if 2 * r >= d:
        q += 1
    return -q if n < 0 else q


def half_up(x: Fraction, places: int) -> Decimal:
    """``x`` rounded half-up (away from zero at .5) to ``places`` decimals, exactly."""
    return Decimal(_half_up_int(x, places)).scaleb(-places)


def half_up_float(x: Fraction, places: int) -> float:
    """``x`` rounded half-up to ``places`` decimals, as the nearest float (for JSON)."""
    return _half_up_int(x, places) / 10**places


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
