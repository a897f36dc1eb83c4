"""Forms of the appraisal pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.evidence import EvidenceFilesField

ACCEPTED = (".yaml", ".yml", ".json", ".xlsx")


class LoadSchemeForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Appraisal scheme (YAML, JSON or Excel)"),
        help_text=gettext_lazy("Nothing is loaded if the file has any problem."),
    )
    owner = forms.ChoiceField(
        label=gettext_lazy("Owner region"),
        required=False,
        help_text=gettext_lazy("The scheme applies in this region and below."),
    )

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = list(owners)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.JICENG_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        if not upload.name.lower().endswith(ACCEPTED):
            raise forms.ValidationError(_("Upload a .yaml, .json or .xlsx file."))
        return upload


class BadPracticeForm(forms.Form):
    institution = forms.CharField(label=gettext_lazy("Institution code"), max_length=32)
    date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    rule = forms.CharField(label=gettext_lazy("Rule broken"), max_length=255)
    points = forms.CharField(label=gettext_lazy("Points"), max_length=12)
    files = EvidenceFilesField(
        label=gettext_lazy("Evidence files"),
        help_text=gettext_lazy(
            "The penalty notice or supervision opinion: PDF, images, Word or Excel; you may "
            "choose several files."
        ),
    )
    evidence = forms.CharField(
        label=gettext_lazy("Evidence (description)"),
        required=False,
        help_text=gettext_lazy("Needed when no file is attached."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
