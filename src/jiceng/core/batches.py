"""Long writes in short transactions, all or nothing.

SQLite lets one connection write at a time: a job that writes 100,000 rows in one
transaction makes every other write (a login included) wait until it ends. Long jobs
therefore validate everything first (no writes), then write in batches, each in its own
transaction of at most :data:`BATCH_SECONDS`, and pause between batches so that a waiting
writer gets in (SQLite's busy handler polls every 100 ms).

If a batch fails after validation, what the earlier batches wrote is undone by a
compensating write: :class:`UndoLog` records every row this thread creates or changes
through the ORM (``save``/``create``) and :meth:`UndoLog.undo` deletes the created rows and
puts the changed ones back, newest first, itself in short transactions. A process killed
half-way cannot undo; the writers that use this are upserts, so running the same input
again completes the work (see docs/database.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import connection, transaction
from django.db.models import Model, ProtectedError
from django.db.models.signals import post_save, pre_save

T = TypeVar("T")
log = logging.getLogger(__name__)

BATCH_SECONDS = 0.5  # longest time one batch holds the write lock (roughly)
PAUSE_SECONDS = 0.11  # on SQLite, between batches: longer than the busy handler's 100 ms poll


def let_others_write() -> None:
    """Between two batches on SQLite, leave the write lock free long enough to be taken."""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        time.sleep(PAUSE_SECONDS)


def write_in_batches(
    items: Iterable[T], write: Callable[[T], Any], *, seconds: float | None = None
) -> None:
    """Call ``write`` on every item, committing a transaction at least every ``seconds``."""
    seconds = BATCH_SECONDS if seconds is None else seconds
    it = iter(items)
    finished = False
    while not finished:
        with transaction.atomic():
            start = time.monotonic()
            finished = True
            for item in it:
                write(item)
                if time.monotonic() - start >= seconds:
                    finished = False
                    break
        if not finished:
            let_others_write()


def chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class UndoLog:
    """Rows of ``models`` created or changed by this thread while the log is open.

    Use as a context manager around the writes; call :meth:`undo` to reverse them.
    Deletions and queryset ``update``/``bulk_create`` are not recorded.
    """

    def __init__(self, models: Iterable[type[Model]]):
        self.models = tuple(models)
        self.thread = threading.get_ident()
        self.entries: list[tuple[str, type[Model], Any, dict | None]] = []
        self._known: set[tuple[type[Model], Any]] = set()

    def __enter__(self) -> UndoLog:
        uid = f"undo-{id(self)}"
        pre_save.connect(self._before, weak=False, dispatch_uid=uid)
        post_save.connect(self._after, weak=False, dispatch_uid=uid)
        return self

    def __exit__(self, *exc) -> None:
        uid = f"undo-{id(self)}"
        pre_save.disconnect(dispatch_uid=uid)
        post_save.disconnect(dispatch_uid=uid)

    def _mine(self, sender) -> bool:
        return threading.get_ident() == self.thread and sender in self.models

    def _before(self, sender, instance, raw=False, **kwargs) -> None:
        if not self._mine(sender) or instance._state.adding or instance.pk is None:
            return
        key = (sender, instance.pk)
        if key in self._known:
            return  # created by us, or its first state is already kept
        names = [f.attname for f in sender._meta.concrete_fields if not f.primary_key]
        old = sender._base_manager.filter(pk=instance.pk).values(*names).first()
        if old is not None:
            self._known.add(key)
            self.entries.append(("changed", sender, instance.pk, old))

    def _after(self, sender, instance, created=False, **kwargs) -> None:
        if self._mine(sender) and created:
            self._known.add((sender, instance.pk))
            self.entries.append(("created", sender, instance.pk, None))

    def undo(self) -> None:
        """Reverse every recorded write, newest first, in short transactions."""
        entries = list(reversed(self.entries))
        i = 0
        while i < len(entries):
            with transaction.atomic():
                start = time.monotonic()
                first = True
                while i < len(entries) and (first or time.monotonic() - start < BATCH_SECONDS):
                    first = False
                    kind, model, _pk, _old = entries[i]
                    # Consecutive creations of one model go in one DELETE.
                    j = i
                    while (
                        j < len(entries)
                        and j - i < 500
                        and entries[j][0] == kind
                        and entries[j][1] is model
                    ):
                        j += 1
                        if kind == "changed":
                            break
                    group = entries[i:j]
                    if kind == "created":
                        _delete(model, [e[2] for e in group])
                    else:
                        model._base_manager.filter(pk=group[0][2]).update(**group[0][3])
                    i = j
            let_others_write()
        self.entries.clear()
        self._known.clear()


@contextmanager
def undone_on_failure(models: Iterable[type[Model]]) -> Iterator[UndoLog]:
    """Run the block's writes under an :class:`UndoLog`; if the block fails, undo them."""
    undo = UndoLog(models)
    try:
        with undo:
            yield undo
    except BaseException:
        try:
            undo.undo()
        except Exception:  # the first error is the one to report
            log.exception("undoing a failed job failed; run the same job again to complete it")
        raise


def _delete(model: type[Model], pks: list) -> None:
    """Delete rows in the given order (children before the parents they protect)."""
    try:
        with transaction.atomic():
            model._base_manager.filter(pk__in=pks).delete()
    except ProtectedError:
        for pk in pks:
            model._base_manager.filter(pk=pk).delete()
