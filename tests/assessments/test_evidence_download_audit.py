"""Downloading a self-assessment's evidence leaves an audit row on the institution."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from jiceng.assessments import actions as A
from jiceng.core.models import AuditEvent

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_an_evidence_download_is_audited_on_the_institution(cyc, settings, tmp_path, client):
    settings.MEDIA_ROOT = tmp_path
    [ev] = A.do_upload_evidence(
        cyc.p.clerk, cyc.sub, "self", "1.1.1", [SimpleUploadedFile("制度.pdf", PDF)]
    )
    client.force_login(cyc.p.clerk)
    response = client.get(f"/evaluation/s/{cyc.sub.pk}/evidence/{ev.pk}/")
    assert response.status_code == 200
    [event] = AuditEvent.objects.filter(action="download.evidence")
    assert event.actor == cyc.p.clerk
    assert event.node_path == cyc.t.TA1.path
    assert event.after["name"] == "制度.pdf"
