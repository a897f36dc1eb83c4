"""One pagination for every API list: bounded page numbers and page sizes.

``@paginate(Pages)`` pages a queryset by number (``?page=&page_size=``); ``Window`` is the
``?limit=&offset=`` pair of the lists that predate it (the ledger, visits), sliced with
``window()``. Past the bounds the request is a 422 naming the parameter, never a database
error from an absurd offset.
"""

from __future__ import annotations

from django.db.models import QuerySet
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


class Window(Schema):
    """``?limit=&offset=``: at most 1000 rows from a bounded offset."""

    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def window(qs: QuerySet, w: Window) -> QuerySet:
    return qs[w.offset : w.offset + w.limit]
