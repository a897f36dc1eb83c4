"""Forms of core pages: the audit trail filters."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiceng.core import audit_labels, scope


class _PersonSelect(forms.Select):
    """A select of people whose options carry the login name as a tooltip."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        login = getattr(getattr(value, "instance", None), "username", "")
        if login:
            option["attrs"]["title"] = login
        return option


class _PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        where = obj.node.name if obj.node_id else ""
        return f"{obj} · {where}" if where else str(obj)


def people_in_sight(user, events):
    """Users the viewer may pick: those of their subtree and those acting in their trail."""
    from jiceng.accounts.models import User

    users = User.objects.select_related("node")
    if not scope.is_global(user):
        root = scope.scope_root(user)
        acting = events.exclude(actor__isnull=True).values("actor_id")
        users = users.filter(Q(node__path__startswith=root.path) | Q(pk__in=acting))
    return users.order_by("display_name", "username")


def local_day_start(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the configured time zone, as an aware moment."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class AuditFilterForm(forms.Form):
    actor = _PersonField(
        label=_("Actor"),
        queryset=None,
        required=False,
        empty_label=_("Everyone"),
        widget=_PersonSelect,
    )
    type = forms.ChoiceField(label=_("Object type"), required=False)
    action = forms.ChoiceField(label=pgettext_lazy("audit", "Action"), required=False)
    id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user, events, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = people_in_sight(user, events)
        everything = [("", _("All"))]
        self.fields["type"].choices = everything + audit_labels.object_type_choices()
        self.fields["action"].choices = everything + _grouped_actions()

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    def filter(self, events):
        """Apply the valid filters to a queryset of audit events (dates are local days)."""
        data = self.cleaned_data
        if data.get("actor"):
            events = events.filter(actor=data["actor"])
        if data.get("type"):
            events = events.filter(object_type=data["type"])
        if data.get("id"):
            events = events.filter(object_id=data["id"].strip())
        if data.get("action"):
            events = events.filter(action=data["action"])
        if data.get("date_from"):
            events = events.filter(at__gte=local_day_start(data["date_from"]))
        if data.get("date_to"):
            next_day = data["date_to"] + dt.timedelta(days=1)
            events = events.filter(at__lt=local_day_start(next_day))
        return events


def _grouped_actions() -> list:
    """Action choices grouped by the kind of object they touch (the code's first part)."""
    groups: dict[str, list] = {}
    for code, label in audit_labels.all_actions():
        groups.setdefault(code.split(".", 1)[0], []).append((code, label))
    return [(str(audit_labels.AREA_LABELS.get(a, a)), opts) for a, opts in groups.items()]
