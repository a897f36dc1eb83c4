"""Fixtures of the ledger tests: media in a temporary folder, sample files, entries."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00" + b"\x00" * 60


def docx_bytes() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("整改报告")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def xlsx_bytes() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["A1"] = "整改"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def today():
    from django.utils import timezone

    return timezone.localdate()


@pytest.fixture
def entry(personas, today):
    """An open entry of TA1 (county A), opened by county A's reviewer."""
    from jiceng.rectification.actions import do_open_entry

    return do_open_entry(
        personas.county_reviewer,
        personas.tree.TA1,
        source="other",
        description="药房温湿度记录不全",
        responsible="王医生",
        deadline=today + dt.timedelta(days=10),
    )


@pytest.fixture
def reported(entry, personas):
    from jiceng.rectification.actions import do_report_fixed

    return do_report_fixed(
        personas.clerk, entry, measures="补齐记录，专人负责", files=[upload("记录.pdf", PDF)]
    )
