"""Forms of the evaluation pages (the grade table itself is read field by field in views)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.assessments.models import Level, LookBack
from jiceng.core import scope
from jiceng.orgs import labels
from jiceng.orgs.models import GRASSROOTS_KINDS, Kind
from jiceng.standards.models import Catalog


def catalog_label(c: Catalog) -> str:
    """A catalog as a choice: title, version and the region it belongs to."""
    owner = c.owner.name if c.owner_id else _("national")
    return f"{c} · {owner}"


class DateInput(forms.DateInput):
    input_type = "date"


class OpenCycleForm(forms.Form):
    region = forms.ChoiceField(label=_("Region"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("Title"), max_length=255, required=False)
    self_deadline = forms.DateField(
        label=_("Self-assessment deadline"), required=False, widget=DateInput
    )
    county_deadline = forms.DateField(
        label=_("County review deadline"), required=False, widget=DateInput
    )
    recheck_deadline = forms.DateField(
        label=_("Re-check deadline"), required=False, widget=DateInput
    )
    validity_years = forms.IntegerField(
        label=_("Validity of a verdict (years)"), min_value=1, max_value=10, initial=3
    )

    def __init__(self, *args, regions=(), user=None, **kwargs):
        super().__init__(*args, **kwargs)
        top = scope.scope_root(user) if user is not None else None
        self.fields["region"].choices = labels.choices(regions, top)
        qs = Catalog.objects.filter(active=True).select_related("owner")
        if user is not None:
            qs = scope.visible_catalogs(user, qs)
        self._catalogs = {c.pk: c for c in qs}
        catalogs = sorted(self._catalogs.values(), key=lambda c: c.version, reverse=True)
        catalogs.sort(key=lambda c: c.code)
        for kind in sorted(GRASSROOTS_KINDS, key=lambda k: k.value):
            fitting = [c for c in catalogs if kind.value in (c.institution_kinds or [])]
            self.fields[f"catalog_{kind.value}"] = forms.ChoiceField(
                label=_("Catalog for %(kind)s") % {"kind": Kind(kind).label},
                required=False,
                choices=[("", _("(the active catalog for this type)"))]
                + [(str(c.pk), catalog_label(c)) for c in fitting],
            )

    def catalogs(self) -> dict[str, Catalog]:
        out = {}
        for kind in GRASSROOTS_KINDS:
            pk = self.cleaned_data.get(f"catalog_{kind.value}")
            if pk:
                out[kind.value] = self._catalogs[int(pk)]
        return out

    def catalog_fields(self):
        return [self[name] for name in self.fields if name.startswith("catalog_")]


class ReturnForm(forms.Form):
    comment = forms.CharField(label=_("What must be changed"), widget=forms.Textarea)


class FindingForm(forms.Form):
    text = forms.CharField(label=_("Finding"), widget=forms.Textarea(attrs={"rows": 3}))
    item_code = forms.CharField(label=_("Item code (optional)"), required=False, max_length=32)


class ReopenForm(forms.Form):
    level = forms.ChoiceField(label=_("Level to re-open"), choices=Level.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class LookBackForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=LookBack.Outcome.choices)
    date = forms.DateField(label=_("Date of the visit"), required=False, widget=DateInput)
    reason = forms.CharField(label=_("What the look-back found"), widget=forms.Textarea)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (one row per item)"))
