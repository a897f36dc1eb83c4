"""Forms of the organisation tree pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.orgs.models import Kind, NodeYear


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excel file (.xlsx)"),
        help_text=gettext_lazy(
            "In the import template; nothing is saved if any row has a problem."
        ),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Only check, save nothing"),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.JICENG_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": round(limit / (1024 * 1024), 1)}
            )
        return upload


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class NodeForm(forms.Form):
    """Create or change one unit. The parent is given by its code, as in the Excel template."""

    code = forms.RegexField(
        label=gettext_lazy("code"),
        regex=r"^[0-9A-Za-z_.\-]{1,32}$",
        max_length=32,
        help_text=gettext_lazy("Digits, letters, “-”, “_” and “.”; at most 32."),
    )
    name = forms.CharField(label=gettext_lazy("name"), max_length=128)
    kind = forms.ChoiceField(label=gettext_lazy("type"), choices=Kind.choices)
    parent_code = forms.CharField(
        label=gettext_lazy("Parent code"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("Changing it moves the unit; the move enters its history."),
    )
    opened = forms.DateField(label=gettext_lazy("opened"), required=False, widget=DateInput)
    closed = forms.DateField(label=gettext_lazy("closed"), required=False, widget=DateInput)
    address = forms.CharField(label=gettext_lazy("address"), max_length=255, required=False)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]

    def clean(self):
        data = super().clean()
        opened, closed = data.get("opened"), data.get("closed")
        if opened and closed and closed < opened:
            self.add_error("closed", _("The closing date is before the opening date."))
        return data


class YearForm(forms.Form):
    """The figures of one unit for one year."""

    year = forms.IntegerField(label=gettext_lazy("year"), min_value=1949, max_value=2100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in NodeYear.FIGURES:
            field = NodeYear._meta.get_field(name)
            self.fields[name] = forms.IntegerField(
                label=field.verbose_name, required=False, min_value=0, max_value=2_147_483_647
            )

    def clean(self):
        from jiceng.orgs.importer import figure_problems

        data = super().clean()
        figures = {name: data.get(name) for name in NodeYear.FIGURES}
        for name, message in figure_problems(figures):
            self.add_error(name, message)
        return data
