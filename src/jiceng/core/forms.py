"""Forms of core pages: the audit trail filters."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AuditFilterForm(forms.Form):
    type = forms.CharField(label=_("Object type"), required=False, max_length=64)
    id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    action = forms.CharField(label=pgettext_lazy("audit", "Action"), required=False, max_length=64)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    def filter(self, events):
        """Apply the valid filters to a queryset of audit events."""
        data = self.cleaned_data
        if data.get("type"):
            events = events.filter(object_type=data["type"].strip())
        if data.get("id"):
            events = events.filter(object_id=data["id"].strip())
        if data.get("actor"):
            events = events.filter(actor_name__icontains=data["actor"].strip())
        if data.get("action"):
            events = events.filter(action__icontains=data["action"].strip())
        if data.get("date_from"):
            events = events.filter(at__date__gte=data["date_from"])
        if data.get("date_to"):
            events = events.filter(at__date__lte=data["date_to"])
        return events
