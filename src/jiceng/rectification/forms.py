"""Forms of the ledger pages. They only parse input; the rules live in ``actions``."""

from __future__ import annotations

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiceng.core import scope
from jiceng.core.evidence import MultipleFileInput
from jiceng.orgs import labels
from jiceng.orgs.models import Kind
from jiceng.rectification.models import Source, Status, VisitKind
from jiceng.rectification.queries import LedgerFilter

DIVISION_KINDS = [Kind.PROVINCE, Kind.CITY, Kind.COUNTY, Kind.TOWNSHIP]


def region_choices(user) -> list[tuple[str, str]]:
    """Divisions and grassroots institutions the user sees, in tree order."""
    nodes = scope.visible_nodes(user).filter(
        kind__in=[k.value for k in DIVISION_KINDS] + [Kind.TOWNSHIP_HC, Kind.COMMUNITY_HC]
    )
    return labels.choices(nodes.order_by("path"), scope.scope_root(user))


def institution_choices(user, action: scope.Action | None = None) -> list[tuple[str, str]]:
    """Institutions the user sees (and, with ``action``, may act on), in tree order."""
    nodes = scope.visible_nodes(user).institutions().order_by("path")
    if action is not None:
        nodes = [n for n in nodes if scope.can(user, action, n)]
    return labels.choices(nodes, scope.scope_root(user))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class LedgerFilterForm(forms.Form):
    region = forms.ChoiceField(label=pgettext_lazy("ledger", "Region"), required=False)
    status = forms.ChoiceField(
        label=pgettext_lazy("ledger", "Status"),
        required=False,
        choices=[("", pgettext_lazy("ledger", "All"))] + Status.choices,
    )
    source = forms.ChoiceField(
        label=pgettext_lazy("ledger", "Source"),
        required=False,
        choices=[("", pgettext_lazy("ledger", "All"))] + Source.choices,
    )
    due_from = forms.DateField(label=_("Due from"), required=False, widget=DateInput())
    due_to = forms.DateField(label=_("Due until"), required=False, widget=DateInput())
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    q = forms.CharField(label=pgettext_lazy("ledger", "Search"), required=False, max_length=100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        choices = [("", _("Everything I see"))] + region_choices(user)
        # A unit's page links here with its own code, whatever its kind (a village clinic or
        # a community station is not in the drop-down): any unit the user sees is accepted.
        code = self.data.get("region") if self.is_bound else None
        if code and code not in {c for c, _label in choices}:
            node = scope.visible_nodes(user).filter(code=code).first()
            if node is not None:
                choices.append((node.code, node.name))
        self.fields["region"].choices = choices

    def clean(self):
        data = super().clean()
        a, b = data.get("due_from"), data.get("due_to")
        if a and b and a > b:
            self.add_error("due_to", _("The end of the due range is before its start."))
        return data

    def to_filter(self) -> LedgerFilter:
        """The filter this form describes (call after ``is_valid``)."""
        data = self.cleaned_data if self.is_valid() else {}
        region = None
        if data.get("region"):
            region = scope.visible_nodes(self.user).filter(code=data["region"]).first()
        return LedgerFilter(
            region=region,
            status=data.get("status", ""),
            source=data.get("source", ""),
            due_from=data.get("due_from"),
            due_to=data.get("due_to"),
            overdue=bool(data.get("overdue")),
            q=(data.get("q") or "").strip(),
        )


class ReportFixedForm(forms.Form):
    measures = forms.CharField(
        label=pgettext_lazy("ledger", "Measures taken"), widget=forms.Textarea(attrs={"rows": 4})
    )
    responsible = forms.CharField(
        label=pgettext_lazy("ledger", "Responsible person"), max_length=64
    )
    evidence = forms.FileField(
        label=pgettext_lazy("ledger", "Evidence of the fix"),
        required=False,
        help_text=_("PDF, images, Word or Excel; you may choose several files."),
        widget=MultipleFileInput(),
    )


class VerifyForm(forms.Form):
    note = forms.CharField(
        label=_("Verification note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SendBackForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the fix is not accepted"), widget=forms.Textarea(attrs={"rows": 2})
    )


class ExtendForm(forms.Form):
    deadline = forms.DateField(label=pgettext_lazy("ledger", "New deadline"), widget=DateInput())
    reason = forms.CharField(
        label=pgettext_lazy("ledger", "Reason"), widget=forms.Textarea(attrs={"rows": 2})
    )


class EntryForm(forms.Form):
    """Open one entry by hand."""

    institution = forms.ChoiceField(label=pgettext_lazy("ledger", "Institution"))
    source = forms.ChoiceField(
        label=pgettext_lazy("ledger", "Source"),
        choices=[(Source.LOOKBACK, Source.LOOKBACK.label), (Source.OTHER, Source.OTHER.label)],
    )
    description = forms.CharField(
        label=pgettext_lazy("ledger", "Problem"), widget=forms.Textarea(attrs={"rows": 3})
    )
    responsible = forms.CharField(
        label=pgettext_lazy("ledger", "Responsible person"), max_length=64, required=False
    )
    deadline = forms.DateField(label=pgettext_lazy("ledger", "Deadline"), widget=DateInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].choices = institution_choices(user, scope.Action.SUPERVISE)


class VisitForm(forms.Form):
    node = forms.ChoiceField(label=pgettext_lazy("ledger", "Visited unit"))
    visited_on = forms.DateField(label=pgettext_lazy("ledger", "Date of visit"), widget=DateInput())
    kind = forms.ChoiceField(
        label=pgettext_lazy("ledger", "Kind of visit"), choices=VisitKind.choices
    )
    team = forms.CharField(
        label=pgettext_lazy("ledger", "Team / inspectors"), widget=forms.Textarea(attrs={"rows": 2})
    )
    notes = forms.CharField(
        label=pgettext_lazy("ledger", "Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        nodes = scope.visible_nodes(user).exclude(kind=Kind.VILLAGE).order_by("path")
        self.fields["node"].choices = [("", "—")] + labels.choices(nodes, scope.scope_root(user))


class FindingForm(forms.Form):
    institution = forms.ChoiceField(label=pgettext_lazy("ledger", "Institution"), required=False)
    description = forms.CharField(
        label=pgettext_lazy("ledger", "Problem found"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    responsible = forms.CharField(
        label=pgettext_lazy("ledger", "Responsible person"), max_length=64, required=False
    )
    deadline = forms.DateField(
        label=pgettext_lazy("ledger", "Deadline"), required=False, widget=DateInput()
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].choices = [("", "—")] + institution_choices(
            user, scope.Action.SUPERVISE
        )

    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not any(
            data.get(k) for k in ("institution", "description", "responsible", "deadline")
        )


MAX_FINDINGS = 50


def finding_formset(rows: int = 5):
    """A formset of ``rows`` empty finding rows (at most ``MAX_FINDINGS``)."""
    rows = min(max(rows, 1), MAX_FINDINGS)
    return formset_factory(FindingForm, extra=rows, max_num=MAX_FINDINGS, absolute_max=MAX_FINDINGS)
