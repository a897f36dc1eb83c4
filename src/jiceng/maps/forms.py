"""The boundary import form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.maps import geo

ACCEPTED = (".geojson", ".json", ".zip")


class ImportBoundariesForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Boundary file (GeoJSON, or a zipped Shapefile)"),
        help_text=gettext_lazy(
            "WGS84 longitude/latitude; each feature a Polygon or MultiPolygon carrying the "
            "unit's code. Nothing is saved if the file has any problem."
        ),
    )
    code_field = forms.CharField(
        label=gettext_lazy("Property holding the unit's code"),
        initial="code",
        max_length=64,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = geo.max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                _("%(file)s is %(size)s; the limit is %(limit)s.")
                % {
                    "file": upload.name,
                    "size": geo.human_size(upload.size),
                    "limit": geo.human_size(limit),
                }
            )
        if not upload.name.lower().endswith(ACCEPTED):
            raise forms.ValidationError(_("Upload a .geojson, .json or .zip file."))
        return upload
