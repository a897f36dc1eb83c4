"""Evidence of an evaluation gets the same Office check as ledger evidence."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiceng.assessments.models import Evidence

from .test_pages import url

pytestmark = pytest.mark.django_db


def fake_docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def test_a_zip_holding_word_document_xml_is_refused_on_the_evidence_page(
    cyc, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("制度.docx", fake_docx())
    r = client_for(cyc.p.clerk).post(
        url(cyc.sub, "evidence/"), {"item_code": "1.1.1", "files": [fake]}, follow=True
    )
    page = r.content.decode()
    assert "制度.docx" in page and "不是真正的 Office 文档" in page
    assert not Evidence.objects.exists()
