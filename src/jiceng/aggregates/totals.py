"""Per-unit yearly totals of aggregate values (:class:`UnitTotal`), kept by every write.

A year's aggregate of a monthly data set reads twelve values per unit, element and option
(a province: 1.4 million rows). The totals hold, per unit, year, element and option, the
sum of the year's numeric values and how many periods reported, so the whole-province
aggregate of a year reads one row instead of twelve (:func:`jiceng.aggregates.queries.
province_aggregate`). They are derived data: every write of values refreshes the totals of
the units and years it touched in the same transaction (:func:`refresh`); each also keeps
the year's latest period and value, for stocks (``last``); and
``jiceng aggregates totals`` rebuilds them all from the values.

Sums are exact: PostgreSQL adds ``numeric``; SQLite, whose decimals are floating point,
adds each value's whole part and its first :data:`SCALE` decimal places as two integers
parsed from the stored text (a value that does not fit marks the total ``inexact``, and the
aggregate then reads the values themselves).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import connection

from jiceng.core.bulk import insert_rows

SCALE = 10  # decimal places of SQLite's fractional digits
MONTHS_OF_LENGTH = {7: 1, 6: 3}  # a period label's length: "2025-01" monthly, "2025Q1" quarterly
CHUNK = 500  # units per statement


def decimal_parts(v: str) -> tuple[str, str, str]:
    """SQLite expressions of a canonical decimal text ``v`` (a column): its whole part and
    its first :data:`SCALE` decimal places as signed integers, and 1 when it does not fit
    (more than :data:`SCALE` places or 15 whole digits, or not plain digits)."""
    a = f"(CASE WHEN SUBSTR({v}, 1, 1) = '-' THEN SUBSTR({v}, 2) ELSE {v} END)"
    sign = f"(CASE WHEN SUBSTR({v}, 1, 1) = '-' THEN -1 ELSE 1 END)"
    dot = f"INSTR({a}, '.')"
    whole = f"(CASE WHEN {dot} > 0 THEN SUBSTR({a}, 1, {dot} - 1) ELSE {a} END)"
    digits = f"(CASE WHEN {dot} > 0 THEN SUBSTR({a}, {dot} + 1) ELSE '' END)"
    ip = f"{sign} * CAST({whole} AS INTEGER)"
    fp = f"{sign} * CAST(SUBSTR({digits} || '{'0' * SCALE}', 1, {SCALE}) AS INTEGER)"
    bad = (
        f"CASE WHEN LENGTH({whole}) NOT BETWEEN 1 AND 15 OR LENGTH({digits}) > {SCALE} "
        f"OR {whole} GLOB '*[^0-9]*' OR {digits} GLOB '*[^0-9]*' THEN 1 ELSE 0 END"
    )
    return ip, fp, bad


def _tables() -> tuple[str, str, str]:
    from jiceng.aggregates.models import DataSetVersion, DataValue, UnitTotal

    q = connection.ops.quote_name
    return (
        q(UnitTotal._meta.db_table),
        q(DataValue._meta.db_table),
        q(DataSetVersion._meta.db_table),
    )


def years_of(labels: Iterable[str]) -> set[int]:
    """The years of the monthly and quarterly period labels among ``labels``."""
    return {int(p[:4]) for p in labels if len(p) in MONTHS_OF_LENGTH and p[:4].isdigit()}


def refresh(
    dataset_code: str, node_ids: Iterable[int] | None = None, years: Iterable[int] | None = None
) -> None:
    """Compute again the totals of ``dataset_code`` for the units ``node_ids`` (None: all)
    in ``years`` (None: all) from their values. Call it inside the transaction that wrote
    the values."""
    totals, values, versions = _tables()
    q = connection.ops.quote_name
    years = sorted(set(years)) if years is not None else None
    if years == []:
        return
    ids = sorted(set(node_ids)) if node_ids is not None else None
    if ids == []:
        return
    if connection.vendor == "postgresql":
        ip, fp, bad = f"d.{q('number')}", "0", "0"
        last = f"(ARRAY_AGG(d.{q('value')} ORDER BY d.{q('period')} DESC))[1]"
    else:  # whole numbers are stored as SQLite integers: only decimals need their text
        # every value from its text (as _parts reads it); one that does not fit adds 0 and
        # marks the total inexact
        parsed_ip, parsed_fp, bad = decimal_parts(f"d.{q('value')}")
        ip, fp = (f"(CASE WHEN {bad} = 1 THEN 0 ELSE {x} END)" for x in (parsed_ip, parsed_fp))
        # the value of the row with the latest period (SQLite's bare column beside the one
        # MAX() of the query)
        last = f"d.{q('value')}"
    year = f"CAST(SUBSTR(d.{q('period')}, 1, 4) AS INTEGER)"
    chunks = [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)] if ids else [None]
    with connection.cursor() as cur:
        for chunk in chunks:
            where, args = [f"{q('dataset_code')} = %s"], [dataset_code]
            d_where, d_args = [], []
            if chunk is not None:
                where.append(f"{q('node_id')} IN ({', '.join(['%s'] * len(chunk))})")
                args += chunk
                d_where.append(f"d.{q('node_id')} IN ({', '.join(['%s'] * len(chunk))})")
                d_args += chunk
            if years is not None:  # the unique index: data set, year, months, unit…
                where.append(f"{q('year')} IN ({', '.join(['%s'] * len(years))})")
                where.append(f"{q('months')} IN (1, 3)")
                args += years
                d_where.append(
                    "("
                    + " OR ".join(
                        f"(d.{q('period')} >= %s AND d.{q('period')} < %s)" for _ in years
                    )
                    + ")"
                )
                for y in years:
                    d_args += [str(y), str(y + 1)]
            cur.execute(f"DELETE FROM {totals} WHERE " + " AND ".join(where), args)
            cur.execute(
                f"INSERT INTO {totals} ({q('dataset_code')}, {q('node_id')}, {q('year')}, "
                f"{q('months')}, {q('element')}, {q('option')}, {q('whole')}, {q('fraction')}, "
                f"{q('periods')}, {q('inexact')}, {q('last_period')}, {q('last_value')}) "
                f"SELECT %s, d.{q('node_id')}, {year}, "
                f"CASE LENGTH(d.{q('period')}) WHEN 7 THEN 1 ELSE 3 END, d.{q('element')}, "
                f"d.{q('option')}, SUM({ip}), SUM({fp}), COUNT(*), SUM({bad}) > 0, "
                f"MAX(d.{q('period')}), {last} "
                f"FROM {values} d WHERE d.{q('dataset_id')} IN "
                f"(SELECT {q('id')} FROM {versions} WHERE {q('code')} = %s) "
                f"AND d.{q('number')} IS NOT NULL AND LENGTH(d.{q('period')}) IN (6, 7) "
                + "".join(f"AND {w} " for w in d_where)
                + f"GROUP BY d.{q('node_id')}, {year}, "
                f"CASE LENGTH(d.{q('period')}) WHEN 7 THEN 1 ELSE 3 END, "
                f"d.{q('element')}, d.{q('option')}",
                [dataset_code, dataset_code, *d_args],
            )


def rebuild(dataset_codes: Iterable[str] | None = None) -> int:
    """Rebuild every total (of ``dataset_codes``, or of every data set) from the values;
    the number of data sets rebuilt."""
    from django.db import transaction

    from jiceng.aggregates.models import DataSetVersion

    codes = sorted(
        set(dataset_codes)
        if dataset_codes is not None
        else set(DataSetVersion.objects.values_list("code", flat=True))
    )
    with transaction.atomic():
        for code in codes:
            refresh(code)
    return len(codes)


def _parts(text: str, postgresql: bool) -> tuple[int | Decimal, int, bool]:
    """A stored value's contribution to a total, as :func:`refresh`'s SQL computes it:
    (whole, fraction, inexact) — on PostgreSQL the exact number; on SQLite its whole part
    and first :data:`SCALE` decimal places as integers, (0, 0, True) when it does not fit
    (more than 15 whole digits or :data:`SCALE` places)."""
    if postgresql:
        return Decimal(text), 0, False
    if "." not in text and len(text.lstrip("-")) <= 15:  # a whole number: the same, quicker
        return int(text), 0, False
    sign = -1 if text.startswith("-") else 1
    whole, _dot, digits = text.lstrip("-").partition(".")
    if not 1 <= len(whole) <= 15 or len(digits) > SCALE or not (whole + digits).isdigit():
        return 0, 0, True
    return sign * int(whole), sign * int(digits.ljust(SCALE, "0")), False


def refresh_with(
    dataset_code: str,
    node_ids: Iterable[int],
    years: Iterable[int],
    new_forms: Iterable[tuple[int, str, dict]],
) -> None:
    """:func:`refresh` for a batch whose forms created values: ``new_forms`` holds, for each
    form, ``(unit id, period, {key: (text, number) or None})`` with every value the form
    created (others, None or without a number, are skipped). The totals of a unit and year
    that had none before (so no numeric value either) are added up here from those values,
    without reading them back; the others are refreshed from the database."""
    from jiceng.aggregates.models import UnitTotal

    ids, years = sorted(set(node_ids)), sorted(set(years))
    if not ids or not years:
        return
    had: set[tuple[int, int]] = set()
    for i in range(0, len(ids), CHUNK):
        had.update(
            UnitTotal.objects.filter(
                dataset_code=dataset_code,
                year__in=years,
                months__in=(1, 3),
                node_id__in=ids[i : i + CHUNK],
            )
            .values_list("node_id", "year")
            .distinct()
        )
    sums: dict[tuple, list] = {}
    postgresql = connection.vendor == "postgresql"  # once: the connection proxy is slow
    parts: dict[str, tuple] = {}  # a county's file repeats the same texts
    split: dict[str, tuple[str, str]] = {}  # "CODE.OPTION" -> (element, option)
    for node_id, period, values in new_forms:
        year = int(period[:4])
        months = MONTHS_OF_LENGTH.get(len(period))
        if months is None or (node_id, year) in had or year not in years:
            continue
        for key, checked in values.items():
            if checked is None or checked[1] is None:
                continue
            text = checked[0]
            got = parts.get(text)
            if got is None:
                got = parts[text] = _parts(text, postgresql)
            eo = split.get(key)
            if eo is None:
                element, _sep, option = key.partition(".")
                eo = split[key] = (element, option)
            k = (node_id, year, months, *eo)
            s = sums.get(k)
            if s is None:
                sums[k] = [got[0], got[1], 1, got[2], period, text]
            else:
                s[0] += got[0]
                s[1] += got[1]
                s[2] += 1
                s[3] = s[3] or got[2]
                if period > s[4]:
                    s[4], s[5] = period, text
    # raw values: SQLite keeps an int an INTEGER (Django would pass a decimal text)
    columns = [
        "dataset_code", "node_id", "year", "months", "element", "option", "whole", "fraction",
        "periods", "inexact", "last_period", "last_value",
    ]  # fmt: skip
    insert_rows(
        UnitTotal._meta.db_table, columns, [(dataset_code, *k, *s) for k, s in sums.items()]
    )
    stale = sorted({n for n, _y in had})
    if stale:
        refresh(dataset_code, stale, years)
