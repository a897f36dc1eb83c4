"""Forms of the indicators pages: targets, record-set uploads, computations."""

from __future__ import annotations

from datetime import date

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiceng.core import scope
from jiceng.indicators import queries
from jiceng.indicators.models import Target
from jiceng.orgs import labels
from jiceng.orgs.models import Node

# Units offered (as “示范市 / 清河县”) while typing a code: the divisions in sight.
OPTION_KINDS = ("province", "city", "county", "township")
OPTION_LIMIT = 500


def node_options(user) -> list[Node]:
    """The divisions the user sees, each with ``chain_label``, for the code fields' datalist."""
    nodes = scope.visible_nodes(user).filter(kind__in=OPTION_KINDS).order_by("path")
    return labels.label_nodes(nodes[:OPTION_LIMIT], scope.scope_root(user))


class NodeCodeField(forms.CharField):
    """A node given by its code; must be one the user may manage indicators of."""

    def __init__(self, *args, **kwargs):
        self.user = None
        kwargs.setdefault("widget", forms.TextInput(attrs={"list": "node-options"}))
        super().__init__(*args, **kwargs)

    def clean(self, value):
        code = super().clean(value).strip()
        node = Node.objects.filter(code=code).first()
        if node is None or not scope.can_see(self.user, node):
            raise forms.ValidationError(
                _("No organisation unit with code %(code)s.") % {"code": code}
            )
        if not scope.can(self.user, scope.Action.MANAGE_CATALOGS, node):
            raise forms.ValidationError(
                _("You may not manage indicators of %(name)s.") % {"name": node.name}
            )
        return node


class TargetForm(forms.Form):
    indicator = forms.ChoiceField(label=pgettext_lazy("indicators", "Indicator"))
    node = NodeCodeField(label=_("Region or institution (code)"), max_length=32)
    year = forms.IntegerField(
        label=pgettext_lazy("indicators", "Year"), min_value=2000, max_value=2100
    )
    comparison = forms.ChoiceField(
        label=pgettext_lazy("indicators", "Comparison"), choices=Target.Comparison.choices
    )
    threshold = forms.DecimalField(
        label=_("Threshold (%)"), min_value=0, max_value=100, decimal_places=2, max_digits=5
    )
    note = forms.CharField(
        label=pgettext_lazy("indicators", "Note"), max_length=255, required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("year", date.today().year)
        super().__init__(*args, **kwargs)
        self.fields["node"].user = user
        self.fields["indicator"].choices = [
            (d.code, f"{d.name}（{d.code}）") for d in queries.definitions()
        ]


class UploadForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("indicators", "Name"), max_length=128)
    node = NodeCodeField(label=_("Region (code)"), max_length=32)
    file = forms.FileField(label=_("ZIP of the record set's tables (CSV, XLSX or Parquet)"))
    skip_invalid = forms.BooleanField(
        label=_("Set invalid rows aside (load the rest, download the rejected rows)"),
        required=False,
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].user = user

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > settings.JICENG_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.")
                % {"mb": settings.JICENG_MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        if not f.name.lower().endswith(".zip"):
            raise forms.ValidationError(_("Upload a ZIP file."))
        return f


class ComputeForm(forms.Form):
    periods = forms.CharField(
        label=pgettext_lazy("indicators", "Periods"),
        max_length=200,
        help_text=_("Years, quarters or months separated by commas: 2025, 2025Q2, 2025-07"),
    )

    def clean_periods(self):
        labels = [p.strip() for p in self.cleaned_data["periods"].replace("，", ",").split(",")]
        labels = [p for p in labels if p]
        if not labels:
            raise forms.ValidationError(_("Give at least one period."))
        out = []
        for label in labels:
            try:
                out.append(queries.parse(label).label)
            except ValueError as e:
                raise forms.ValidationError(str(e)) from e
        return list(dict.fromkeys(out))
