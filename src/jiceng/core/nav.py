"""The navigation bar as a small registry that every app adds its entries to.

An app registers its entries once, in its ``AppConfig.ready()``::

    from jiceng.core import nav
    nav.register(_("Self-assessment"), "assessments:index", order=30,
                 visible=lambda user: user.role == "institution_staff")

Entries are keyed by ``url_name``: registering the same name again replaces the
entry (so ``ready()`` may run twice, and an app may take over a default entry).
A URL name that does not resolve (an app whose pages do not exist yet) is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavEntry:
    label: Any  # a (lazy) translated string
    url_name: str
    visible: Callable[[Any], bool]
    order: int


_ENTRIES: dict[str, NavEntry] = {}


def _always(user) -> bool:
    return True


def register(
    label: Any,
    url_name: str,
    visible: Callable[[Any], bool] = _always,
    order: int = 100,
) -> NavEntry:
    """Add (or replace) the entry pointing at ``url_name``; lower ``order`` comes first."""
    entry = NavEntry(label=label, url_name=url_name, visible=visible, order=order)
    _ENTRIES[url_name] = entry
    return entry


def unregister(url_name: str) -> None:
    _ENTRIES.pop(url_name, None)


def entries() -> list[NavEntry]:
    return sorted(_ENTRIES.values(), key=lambda e: (e.order, e.url_name))


def items_for(user, current_path: str = "") -> list[dict]:
    """The entries ``user`` may see, as ``{"label", "url", "active"}`` dicts."""
    items = []
    for entry in entries():
        if not entry.visible(user):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": entry.label, "url": url, "active": False})
    # The current entry is the one with the longest URL that the path starts with, so
    # /indicators/recordsets/ marks 记录集, not 指标 as well.
    matching = [
        i
        for i in items
        if (current_path == i["url"] if i["url"] == "/" else current_path.startswith(i["url"]))
    ]
    if matching:
        max(matching, key=lambda i: len(i["url"]))["active"] = True
    return items
