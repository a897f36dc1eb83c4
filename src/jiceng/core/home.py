"""The home page as a registry of panels that apps add to.

A panel is a function ``fn(request)`` returning ``None`` (nothing to show for this
user) or a dict with ``template`` and the context that template needs, either under
``context`` or as the other keys of the dict::

    from jiceng.core.home import register_panel

    @register_panel(order=20)
    def my_tasks(request):
        tasks = ...
        if not tasks:
            return None
        return {"template": "assessments/panels/tasks.html", "tasks": tasks}

Register panels at import time of a module imported from the app's ``ready()``.
A panel template renders one ``<section class="panel">``; ``wide: True`` in the
dict makes it span the whole width of the page.

``@register_panel(cached=True)`` keeps the rendered panel in the page cache
(:mod:`jiceng.core.pagecache`): for a panel computed from the user's region and who the user
is (role, node, institution) and nothing else of the request. A write in that region (or
above it) drops it at once; ``kinds`` narrows that to the kinds of writes it shows
(``pagecache.DATA``, ``GRADES``, ``LEDGER``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from jiceng.core import pagecache

PanelFn = Callable[..., dict | None]


@dataclass(frozen=True)
class Panel:
    fn: PanelFn
    order: int
    cached: bool = False
    kinds: tuple[str, ...] = pagecache.KINDS

    @property
    def key(self) -> str:
        return f"{self.fn.__module__}.{self.fn.__qualname__}"


_PANELS: dict[str, Panel] = {}


def register_panel(
    fn: PanelFn | None = None,
    *,
    order: int = 100,
    cached: bool = False,
    kinds: tuple[str, ...] = pagecache.KINDS,
):
    """Register ``fn`` as a home panel; usable as ``@register_panel`` or with ``order``
    (and ``cached``, with the ``kinds`` of writes that change it)."""

    def wrap(f: PanelFn) -> PanelFn:
        panel = Panel(fn=f, order=order, cached=cached, kinds=kinds)
        _PANELS[panel.key] = panel
        return f

    return wrap(fn) if fn is not None else wrap


def panels() -> list[Panel]:
    return sorted(_PANELS.values(), key=lambda p: (p.order, p.key))


def render_panel(panel: Panel, request) -> dict | None:
    """``{"html", "wide"}`` of one panel, or None when it has nothing for this request."""
    spec = panel.fn(request)
    if not spec:
        return None
    spec = dict(spec)
    template = spec.pop("template")
    wide = bool(spec.pop("wide", False))
    context = spec.pop("context", spec)
    html: SafeString = render_to_string(template, context, request=request)
    return {"html": html, "wide": wide}


def render_panels(request) -> list[dict]:
    """Each panel that has something for this request, rendered: ``{"html", "wide"}``."""
    out = []
    region = pagecache.region_path(request.user)
    for panel in panels():
        if panel.cached:
            rendered = pagecache.cached(
                request,
                f"panel:{panel.key}",
                region,
                lambda p=panel: render_panel(p, request),
                kinds=panel.kinds,
            )
        else:
            rendered = render_panel(panel, request)
        if rendered:
            out.append(rendered)
    return out
