"""The immunization schedule (免疫程序): vaccine code -> {dose: due age in months}.

The default is the national immunization programme of 2021 (国家免疫规划疫苗儿童免疫程序
2021年版) as given by the indicator contract: the default of the setting
``immunization_schedule`` in ``definitions/indicators.yaml``, the one place it is written.
The load checks read it (a vaccine code must be in the schedule, a dose must not exceed the
schedule's doses); a province's own schedule is validated with :func:`validate_schedule` and
passed to ``check_recordset``/``load_recordset`` and to the computation as that setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import yaml

Schedule = Mapping[str, Mapping[int, int]]

# Ages up to which a dose may be due (the programme ends at 6 years; some room for catch-up).
MAX_DUE_MONTHS = 18 * 12


def validate_schedule(data: object) -> Schedule:
    """A read-only schedule from ``data``; ValueError (in Chinese) when it is malformed.

    Each vaccine code is a non-empty text without spaces; its doses are numbered 1, 2, …
    without gaps, each due at a whole number of months (0–216) not earlier than the dose
    before.
    """
    if not isinstance(data, Mapping) or not data:
        raise ValueError("免疫程序应为「疫苗代码 → {剂次: 月龄}」的非空映射")
    out: dict[str, Mapping[int, int]] = {}
    for vaccine, doses in data.items():
        if not isinstance(vaccine, str) or not vaccine.strip() or vaccine != vaccine.strip():
            raise ValueError(f"免疫程序中的疫苗代码「{vaccine}」无效")
        if " " in vaccine:
            raise ValueError(f"免疫程序中的疫苗代码「{vaccine}」不能含空格")
        if not isinstance(doses, Mapping) or not doses:
            raise ValueError(f"疫苗 {vaccine} 没有剂次")
        clean: dict[int, int] = {}
        for dose, months in doses.items():
            d = _whole(dose)
            m = _whole(months)
            if d is None or d < 1:
                raise ValueError(f"疫苗 {vaccine} 的剂次「{dose}」应为 1 及以上的整数")
            if m is None or not 0 <= m <= MAX_DUE_MONTHS:
                raise ValueError(
                    f"疫苗 {vaccine} 第 {d} 剂的月龄「{months}」应为 0–{MAX_DUE_MONTHS} 的整数"
                )
            if d in clean:
                raise ValueError(f"疫苗 {vaccine} 的第 {d} 剂重复")
            clean[d] = m
        numbers = sorted(clean)
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"疫苗 {vaccine} 的剂次应从 1 起连续编号（现有：{numbers}）")
        for d in numbers[1:]:
            if clean[d] < clean[d - 1]:
                raise ValueError(f"疫苗 {vaccine} 第 {d} 剂的月龄早于第 {d - 1} 剂")
        out[vaccine] = MappingProxyType(dict(sorted(clean.items())))
    return MappingProxyType(out)


def _whole(v: object) -> int | None:
    """``v`` as an int when it is a whole number (YAML/JSON keys may arrive as text)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and v.strip().isdigit():
        return int(v.strip())
    return None


def _national() -> Schedule:
    from .definitions import DEFAULT_FILE

    # Read from the definitions file without validating its SQL (which needs this module).
    data = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
    return validate_schedule(data["settings"]["immunization_schedule"]["default"])


NATIONAL_2021: Schedule = _national()
DEFAULT_SCHEDULE: Schedule = NATIONAL_2021
