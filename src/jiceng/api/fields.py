"""Length limits of API input, derived from the models so that they cannot drift.

Every string a request body or form carries is declared with one of these helpers:
``model_text(Model, "field")`` takes the ``max_length`` of that model field (a ``TextField``
has none: it gets ``TEXT_MAX_LENGTH``), ``text()`` is for strings stored nowhere (codes to
look up, choices). An over-long value is then a 422 naming the field, never a database
error (PostgreSQL) nor a silently stored over-long value (SQLite ignores lengths).
``model_int(Model, "field")`` does the same for integers (the range of the column type).
``tests/api/test_limits.py`` walks the OpenAPI document and fails on any string without a
length limit and any number without bounds.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from pydantic import Field

# Free text (remarks, reasons, descriptions) accepted through the API, in characters.
TEXT_MAX_LENGTH = 5000
# A string that is only looked up (a code, a choice, a name to match).
LOOKUP_MAX_LENGTH = 255


def max_length(model: type[models.Model], field: str) -> int:
    """The ``max_length`` of ``model.field``, or ``TEXT_MAX_LENGTH`` for unbounded text."""
    return model._meta.get_field(field).max_length or TEXT_MAX_LENGTH


def model_text(model: type[models.Model], field: str, default: Any = ..., **kwargs: Any) -> Any:
    """A pydantic ``Field`` for a string stored in ``model.field``, with its length limit."""
    return Field(default, max_length=max_length(model, field), **kwargs)


def int_range(model: type[models.Model], field: str) -> tuple[int, int]:
    """The values the integer column ``model.field`` holds (a foreign key: its target's id)."""
    f = model._meta.get_field(field)
    if f.is_relation:
        f = f.target_field
    low, high = BaseDatabaseOperations.integer_field_ranges[f.get_internal_type()]
    return low, high


def model_int(model: type[models.Model], field: str, default: Any = ..., **kwargs: Any) -> Any:
    """A pydantic ``Field`` for an integer stored in (or compared with) ``model.field``."""
    low, high = int_range(model, field)
    kwargs.setdefault("ge", low)
    kwargs.setdefault("le", high)
    return Field(default, **kwargs)


def text(default: Any = ..., max_length: int = LOOKUP_MAX_LENGTH, **kwargs: Any) -> Any:
    """A pydantic ``Field`` for a string that is not stored as such (a code, a choice)."""
    return Field(default, max_length=max_length, **kwargs)
