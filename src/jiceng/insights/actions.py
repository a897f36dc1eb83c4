"""Writes of dashboards, each audited: save, share and delete a view; pin and unpin an item;
publish one's dashboard to everyone below one's node."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, scope
from jiceng.core.errors import UserError
from jiceng.insights.models import Pin, SavedView
from jiceng.insights.request import ViewRequest, resolve_units

# Pages that may be pinned by their URL: visualizer views and map views.
PINNABLE = ("/insights/visualizer/", "/insights/views/", "/maps/")
MAX_PINS = 24


def _snap(obj) -> dict:
    return audit.snapshot(obj) or {}


def do_save_view(actor, name: str, req: ViewRequest, shared: bool = False) -> SavedView:
    """Save the view ``req`` under ``name`` (its units must be in the actor's sight); audited."""
    name = (name or "").strip()
    if not name:
        raise UserError(_("Field name: give the view a name."))
    if len(name) > 120:
        raise UserError(_("Field name: at most 120 characters."))
    root, _units = resolve_units(actor, req)
    with transaction.atomic():
        view = SavedView.objects.create(
            name=name, owner=actor, node=root, query=req.query(), shared=bool(shared)
        )
        audit.record(actor, "insights.save_view", view, after=_snap(view))
    return view


def readable_views(user):
    """The views ``user`` may open: their own, and the shared views of a region they see or
    lie below."""
    from django.db.models import Q

    root = scope.scope_root(user)
    own = Q(owner=user)
    if scope.is_global(user):
        return SavedView.objects.filter(own | Q(shared=True))
    if root is None:
        return SavedView.objects.filter(own)
    from jiceng.orgs.models import path_ids

    above = path_ids(root.path)
    return SavedView.objects.filter(
        own | Q(shared=True, node__path__startswith=root.path) | Q(shared=True, node_id__in=above)
    )


def get_view(user, pk: int) -> SavedView:
    """One view ``user`` may open, else 404."""
    view = readable_views(user).select_related("node").filter(pk=pk).first()
    if view is None:
        raise Http404("view not found")
    return view


def do_share_view(actor, view: SavedView, shared: bool) -> SavedView:
    """Share a view with those who see its region (or stop sharing it); the owner only."""
    if view.owner_id != actor.pk:
        raise PermissionDenied(_("Only the owner shares a view."))
    with transaction.atomic():
        before = _snap(view)
        view.shared = bool(shared)
        view.save(update_fields=["shared", "updated_at"])
        audit.record(actor, "insights.share_view", view, before=before, after=_snap(view))
    return view


def do_delete_view(actor, view: SavedView) -> None:
    """Delete one's own view (and the pins on it); audited."""
    if view.owner_id != actor.pk:
        raise PermissionDenied(_("Only the owner deletes a view."))
    with transaction.atomic():
        audit.record(actor, "insights.delete_view", view, before=_snap(view))
        view.delete()


def _check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme or parts.netloc or not parts.path.startswith(PINNABLE):
        raise UserError(
            _("Field url: only visualizer and map views of this platform can be pinned (%(url)s).")
            % {"url": url[:200]}
        )
    return parts.path + (f"?{parts.query}" if parts.query else "")


def do_pin(actor, title: str, view: SavedView | None = None, url: str = "") -> Pin:
    """Pin a saved view, or a visualizer or map view by its URL, to the actor's dashboard."""
    title = (title or "").strip() or (view.name if view else "")
    if not title:
        raise UserError(_("Field title: give the pin a title."))
    if view is not None:
        get_view(actor, view.pk)
        url = ""
    else:
        url = _check_url(url)
    with transaction.atomic():
        mine = Pin.objects.filter(owner=actor, published_at__isnull=True)
        if mine.count() >= MAX_PINS:
            raise UserError(_("A dashboard holds at most %(n)s pins.") % {"n": MAX_PINS})
        pin = Pin.objects.create(
            owner=actor,
            title=title[:120],
            view=view,
            url=url,
            order=mine.count(),
            node=scope.scope_root(actor),
        )
        audit.record(actor, "insights.pin", pin, after=_snap(pin))
    return pin


def do_unpin(actor, pin: Pin) -> None:
    """Take a pin off: one's own, or a published one by an administrator of its node."""
    if pin.owner_id != actor.pk and not (
        pin.published_at and pin.node and scope.can(actor, scope.Action.MANAGE_USERS, pin.node)
    ):
        raise Http404("pin not found")
    with transaction.atomic():
        audit.record(actor, "insights.unpin", pin, before=_snap(pin))
        pin.delete()


def do_publish_dashboard(actor) -> list[Pin]:
    """Publish the actor's own pins to every user at or below the actor's node, replacing
    what the actor published there before. Administrators only; audited per pin."""
    node = scope.scope_root(actor)
    if node is None or not scope.can(actor, scope.Action.MANAGE_USERS, node):
        raise PermissionDenied(_("Only administrators publish a dashboard."))
    now = timezone.now()
    with transaction.atomic():
        for old in Pin.objects.filter(owner=actor, node=node, published_at__isnull=False):
            audit.record(actor, "insights.unpin", old, before=_snap(old))
            old.delete()
        out = []
        for p in Pin.objects.filter(owner=actor, published_at__isnull=True).order_by("order", "pk"):
            if p.view_id and not p.view.shared:
                do_share_view(actor, p.view, True)  # those below must be able to open it
            pub = Pin.objects.create(
                owner=actor, title=p.title, view=p.view, url=p.url, order=p.order,
                node=node, published_at=now,
            )
            audit.record(actor, "insights.publish", pub, after=_snap(pub))
            out.append(pub)
    return out


def dashboard_pins(user) -> list[Pin]:
    """The user's own pins, then those published to their node from it or above."""
    from django.db.models import Q

    from jiceng.orgs.models import path_ids

    root = scope.scope_root(user)
    own = Q(owner=user, published_at__isnull=True)
    q = own | Q(published_at__isnull=False, node_id__in=path_ids(root.path)) if root else own
    pins = Pin.objects.filter(q).select_related("view").order_by(
        "published_at", "order", "pk"
    )
    return list(pins)
