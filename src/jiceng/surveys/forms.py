"""Forms of the survey pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ACCEPTED = (".yaml", ".yml", ".json")


class LoadQuestionnaireForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Questionnaire (YAML or JSON)"),
        help_text=gettext_lazy("Nothing is loaded if the file has any problem."),
    )
    owner = forms.ChoiceField(
        label=gettext_lazy("Owner region"),
        required=False,
        help_text=gettext_lazy("The questionnaire applies in this region and below."),
    )

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = list(owners)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.JICENG_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        if not upload.name.lower().endswith(ACCEPTED):
            raise forms.ValidationError(_("Upload a .yaml or .json file."))
        return upload
