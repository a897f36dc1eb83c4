"""Forms of the standards pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ACCEPTED = (".yaml", ".yml", ".json", ".xlsx")


class UploadCatalogForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Catalog file (YAML, JSON or Excel)"),
        help_text=gettext_lazy("Nothing is loaded if the file has any problem."),
    )
    owner = forms.ChoiceField(
        label=gettext_lazy("Owner region"),
        required=False,
        help_text=gettext_lazy(
            "The catalog applies in this region and below; only its administrators (or "
            "those above) load new versions of it or deactivate it."
        ),
    )

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = list(owners)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.JICENG_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": round(limit / (1024 * 1024), 1)}
            )
        if not upload.name.lower().endswith(ACCEPTED):
            raise forms.ValidationError(_("Upload a .yaml, .json or .xlsx file."))
        return upload


class DeactivateForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=255, required=False)
