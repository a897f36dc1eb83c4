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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

PanelFn = Callable[..., dict | None]


@dataclass(frozen=True)
class Panel:
    fn: PanelFn
    order: int

    @property
    def key(self) -> str:
        return f"{self.fn.__module__}.{self.fn.__qualname__}"


_PANELS: dict[str, Panel] = {}


def register_panel(fn: PanelFn | None = None, *, order: int = 100):
    """Register ``fn`` as a home panel; usable as ``@register_panel`` or with ``order``."""

    def wrap(f: PanelFn) -> PanelFn:
        panel = Panel(fn=f, order=order)
        _PANELS[panel.key] = panel
        return f

    return wrap(fn) if fn is not None else wrap


def panels() -> list[Panel]:
    return sorted(_PANELS.values(), key=lambda p: (p.order, p.key))


def render_panels(request) -> list[dict]:
    """Each panel that has something for this request, rendered: ``{"html", "wide"}``."""
    out = []
    for panel in panels():
        spec = panel.fn(request)
        if not spec:
            continue
        spec = dict(spec)
        template = spec.pop("template")
        wide = bool(spec.pop("wide", False))
        context = spec.pop("context", spec)
        html: SafeString = render_to_string(template, context, request=request)
        out.append({"html": html, "wide": wide})
    return out
