"""Forms of the organisation tree pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


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
