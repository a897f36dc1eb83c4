"""Forms of the reports pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class RequestForm(forms.Form):
    region = forms.ChoiceField(label=gettext_lazy("Region"))
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000)
    quarter = forms.TypedChoiceField(
        label=gettext_lazy("Quarter"),
        required=False,
        coerce=int,
        empty_value=None,
    )

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(n.code, n.chain_label) for n in regions]
        self.fields["quarter"].choices = [("", _("Whole year (work summary)"))] + [
            (str(q), _("Quarter %(q)s (progress report)") % {"q": q}) for q in range(1, 5)
        ]
        self.fields["year"].max_value = timezone.localdate().year + 1
        self.fields["year"].initial = timezone.localdate().year


class TemplateForm(forms.Form):
    region = forms.ChoiceField(label=gettext_lazy("Region"))
    file = forms.FileField(
        label=gettext_lazy("Template (.docx)"),
        help_text=gettext_lazy("Nothing is saved if the template names an unknown field."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=255)

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(n.code, n.chain_label) for n in regions]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.JICENG_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        if not upload.name.lower().endswith(".docx"):
            raise forms.ValidationError(_("Upload a Word document (.docx)."))
        return upload
