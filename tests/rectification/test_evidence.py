"""Evidence files are judged by their content: what is accepted and what is not."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiceng.core.evidence import read_upload, sniff

from .conftest import EXE, PDF, PNG, docx_bytes, upload, xlsx_bytes

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
KNOWN_STARTS = (b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"PK\x03\x04", OLE2[:8])


def zip_with(name: str) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, "x")
    return buf.getvalue()


@pytest.mark.parametrize(
    "data,name,kind",
    [
        (PDF, "a.pdf", "pdf"),
        (PNG, "a.png", "png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 10, "a.jpg", "jpeg"),
        (b"GIF89a" + b"\x00" * 10, "a.gif", "gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "a.webp", "webp"),
        (docx_bytes(), "a.docx", "docx"),
        (xlsx_bytes(), "a.xlsx", "xlsx"),
        (OLE2, "旧表格.xls", "xls"),
        (OLE2, "旧文档.DOC", "doc"),
        (PDF, "named-wrongly.exe", "pdf"),
    ],
)
def test_it_recognises_accepted_files_by_content(data, name, kind):
    assert sniff(data, name) == kind


@pytest.mark.parametrize(
    "data,name",
    [
        (EXE, "setup.exe"),
        (EXE, "report.pdf"),
        (b"\x7fELF\x02\x01\x01", "a.pdf"),
        (b"#!/bin/sh\n", "a.docx"),
        (zip_with("payload.exe"), "a.docx"),
        (b"PK\x03\x04broken", "a.xlsx"),
        (OLE2, "macro.msi"),
        (b"<html><script>alert(1)</script>", "a.png"),
    ],
)
def test_it_refuses_everything_else(data, name):
    assert sniff(data, name) is None


@given(st.binary(max_size=200).filter(lambda b: not b.startswith(KNOWN_STARTS)))
def test_random_bytes_are_never_taken_for_evidence(data):
    assert sniff(data, "x.pdf") is None


def test_read_upload_names_the_file_for_empty_and_oversized_files(settings):
    settings.JICENG_MAX_UPLOAD_BYTES = 10
    up, problem = read_upload(upload("空.pdf", b""))
    assert up is None and problem.file == "空.pdf" and "空" in problem.message
    up, problem = read_upload(upload("大.pdf", PDF))
    assert up is None and problem.file == "大.pdf" and "MB" in problem.message
    settings.JICENG_MAX_UPLOAD_BYTES = 1000
    up, problem = read_upload(upload("ok.pdf", PDF))
    assert problem is None and up.kind == "pdf" and up.data == PDF
