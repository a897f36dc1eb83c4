"""Fixture data built once per test process and restored into each test's transaction.

Building the tree through the named actions (with their audit rows) costs about 140 queries; a
restore is one bulk insert per table the builder wrote. The first test that asks for a snapshot
builds it for real and records every row the builder added (compared with the rows present
before); later tests insert copies of those rows with the same primary keys, so the objects a
fixture returns carry the same ids each time. Each test gets new Python objects: changing one
in a test never reaches the next.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Model


def _models() -> list[type[Model]]:
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    ]


def _values(obj: Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


class Snapshot:
    """What ``build`` wrote to the database, replayed on later calls of ``load``."""

    def __init__(self, build: Callable[..., SimpleNamespace]):
        self.build = build
        self.rows: list[tuple[type[Model], list[dict[str, Any]]]] | None = None
        self.refs: dict[str, tuple[type[Model], Any]] = {}

    def load(self, **kwargs: Any) -> SimpleNamespace:
        """The namespace ``build(**kwargs)`` returns; its model attributes are fresh objects.

        Attributes that are not model instances are given as ``kwargs`` on every call (for
        example the tree the personas hang on).
        """
        if self.rows is None:
            return self._capture(kwargs)
        return self._restore(kwargs)

    def _capture(self, kwargs: dict[str, Any]) -> SimpleNamespace:
        models = _models()
        before = {m: set(m._base_manager.values_list("pk", flat=True)) for m in models}
        result = self.build(**kwargs)
        rows = []
        for m in models:
            new = [_values(o) for o in m._base_manager.order_by("pk") if o.pk not in before[m]]
            if new:
                rows.append((m, new))
        self.rows = rows
        self.refs = {
            name: (type(value), value.pk)
            for name, value in vars(result).items()
            if isinstance(value, Model)
        }
        return result

    def _restore(self, kwargs: dict[str, Any]) -> SimpleNamespace:
        made: dict[tuple[type[Model], Any], Model] = {}
        # One transaction: foreign keys are checked when it commits, so the order of the
        # tables does not matter, also in tests that run outside a test transaction.
        with transaction.atomic():
            for model, rows in self.rows or []:
                objects = [model(**row) for row in rows]
                model._base_manager.bulk_create(objects)
                made.update(((model, o.pk), o) for o in objects)
            # PostgreSQL's sequences do not see explicit keys: move them past the new rows.
            models = [m for m, _ in self.rows or []]
            statements = connection.ops.sequence_reset_sql(no_style(), models)
            if statements:
                with connection.cursor() as cursor:
                    for sql in statements:
                        cursor.execute(sql)
        result = SimpleNamespace(**kwargs)
        for name, key in self.refs.items():
            setattr(result, name, made[key])
        return result
