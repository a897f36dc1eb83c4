"""Forms of the evaluation pages (the grade table itself is read field by field in views)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.assessments.models import Level, LookBack
from jiceng.orgs.models import GRASSROOTS_KINDS, Kind
from jiceng.standards.models import Catalog


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

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(n.code, f"{n.name} ({n.code})") for n in regions]
        catalogs = list(Catalog.objects.filter(active=True).order_by("code", "-version"))
        for kind in sorted(GRASSROOTS_KINDS, key=lambda k: k.value):
            fitting = [c for c in catalogs if kind.value in (c.institution_kinds or [])]
            self.fields[f"catalog_{kind.value}"] = forms.ChoiceField(
                label=_("Catalog for %(kind)s") % {"kind": Kind(kind).label},
                required=False,
                choices=[("", _("(the active catalog for this type)"))]
                + [(str(c.pk), str(c)) for c in fitting],
            )

    def catalogs(self) -> dict[str, Catalog]:
        out = {}
        for kind in GRASSROOTS_KINDS:
            pk = self.cleaned_data.get(f"catalog_{kind.value}")
            if pk:
                out[kind.value] = Catalog.objects.get(pk=pk)
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
