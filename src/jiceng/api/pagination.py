"""One pagination for every API list: bounded page numbers and page sizes.

``@paginate(Pages)`` pages a queryset or list by number (``?page=&page_size=``) and answers
``{"items": [...], "count": N}``; an endpoint that builds each row itself returns
``Rows(queryset, out)`` so that only the rows of the page are built. An answer with more than
the list (the region table, the published list, the progress board) pages its list with
``page_of()``. ``Window`` is the
``?limit=&offset=`` pair of the ledger, which predates ``page``, sliced with ``window()``.
Past the bounds the request is a 422 naming the parameter, never a database error from an
absurd offset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_PAGE = 1_000_000
MAX_OFFSET = MAX_PAGE * MAX_PAGE_SIZE


class Pages(PageNumberPagination):
    """Page-number pagination with ``page`` ≤ 1,000,000 and ``page_size`` ≤ 1000."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)

    def __init__(self, page_size: int = DEFAULT_PAGE_SIZE, **kwargs) -> None:
        super().__init__(page_size=page_size, max_page_size=MAX_PAGE_SIZE, **kwargs)


class Rows(Sequence):
    """``queryset`` seen through ``out``: counted by the database, and only the sliced rows
    (one page) are fetched and passed to ``out``. What the rows show from other tables is
    joined (``select_related``) or fetched once per page (``prefetch_related``) by the
    queryset, so a page costs the same queries whatever the size of the tree."""

    def __init__(self, queryset: QuerySet, out: Callable[[Any], Any]) -> None:
        self.queryset = queryset
        self.out = out

    def __len__(self) -> int:
        return self.queryset.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.out(row) for row in self.queryset[index]]
        return self.out(self.queryset[index])


def page_of(rows: Sequence, pages: Pages.Input, request: HttpRequest) -> dict:
    """``{"items": [...], "count": N}`` of one page of ``rows``, as ``@paginate(Pages)`` answers."""
    return Pages().paginate_queryset(rows, pages, request)


class Window(Schema):
    """``?limit=&offset=``: at most 1000 rows from a bounded offset."""

    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def window(qs: QuerySet, w: Window) -> QuerySet:
    return qs[w.offset : w.offset + w.limit]
