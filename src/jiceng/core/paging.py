"""Long lists on pages of the site: one page at a time (``?page=``), with a pager
(``core/pagination.html``) whose links keep the list's filters."""

from __future__ import annotations

from django.core.paginator import Page, Paginator

PAGE_SIZE = 50  # rows a page, as the ledger, the users and the audit trail show


def page_of(request, items, size: int | None = None) -> tuple[Page, str]:
    """The page of ``items`` that ``?page=`` asks for (the last if past the end) and the
    request's query string without ``page``, for the pager's links."""
    params = request.GET.copy()
    params.pop("page", None)
    page = Paginator(items, size or PAGE_SIZE).get_page(request.GET.get("page"))
    return page, params.urlencode()
