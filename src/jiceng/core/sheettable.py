"""Reading a definition's workbook layout (data sets, appraisal schemes): a sheet's header
row found among its first rows by the column names people type, its cells as text, and
Django set up on demand for core/xlsx. Pure Python until :func:`django_ready` is called."""

from __future__ import annotations

from typing import Any


def cell_text(value: Any) -> str:
    """A cell as text: empty for nothing, whole floats without ``.0``, stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def find_table(rows: list[list[Any]], columns: dict[str, tuple[str, ...]]):
    """(header row number, {field: column index}, [(row number, row)]) of a sheet."""
    best: tuple[int, dict[str, int]] = (1, {})
    for r, row in enumerate(rows[:5], 1):
        found = {}
        for c, value in enumerate(row):
            head = cell_text(value).replace("*", "").strip().lower()
            for field, names in columns.items():
                if field not in found and head in {n.lower() for n in names}:
                    found[field] = c
        if len(found) > len(best[1]):
            best = (r, found)
    header, cols = best
    body = [
        (n, row)
        for n, row in enumerate(rows[header:], header + 1)
        if any(cell_text(v) for v in row)
    ]
    return header, cols, body


def django_ready() -> None:
    """core/xlsx speaks through Django's translations: the stateless commands set it up here,
    for an Excel file only (YAML and JSON never need it)."""
    import os

    import django
    from django.apps import apps

    if not apps.ready:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
        django.setup()
