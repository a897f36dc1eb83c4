"""Long lists on pages of the site: one page at a time (``?page=``), with a pager
(``core/pagination.html``) whose links keep the list's filters."""

from __future__ import annotations

from django.core.paginator import Page, Paginator

PAGE_SIZE = 50  # rows a page, as the ledger, the users and the audit trail show


def page_of(request, items, size: int | None = None, param: str = "page") -> tuple[Page, str]:
    """The page of ``items`` that ``?page=`` asks for (the last if past the end) and the
    request's query string without ``page``, for the pager's links. A second list on the
    same page takes its own ``param`` (the pager then needs ``param`` too)."""
    params = request.GET.copy()
    params.pop(param, None)
    page = Paginator(items, size or PAGE_SIZE).get_page(request.GET.get(param))
    return page, params.urlencode()
