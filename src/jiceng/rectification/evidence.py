"""Checking evidence files by their content, not by their name.

Accepted: PDF, PNG, JPEG, GIF, WebP, Word (.docx, .doc) and Excel (.xlsx, .xls).
Everything else — executables, scripts, archives, empty files, files over
``JICENG_MAX_UPLOAD_BYTES`` — is refused with a message naming the file.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jiceng.core.errors import Problem

ALLOWED_KINDS = ("pdf", "png", "jpeg", "gif", "webp", "docx", "xlsx", "doc", "xls")

_SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
]
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Upload:
    """An uploaded file read into memory, with the kind its content shows."""

    name: str
    data: bytes
    kind: str


def sniff(data: bytes, name: str = "") -> str | None:
    """The kind of file ``data`` is (one of ``ALLOWED_KINDS``), or None if not accepted."""
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return None
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        return None
    if data.startswith(_OLE2):
        # Old binary Office files share one container; the name tells Word from Excel.
        lower = name.lower()
        if lower.endswith(".xls"):
            return "xls"
        if lower.endswith(".doc"):
            return "doc"
        return None
    return None


def read_upload(f, field: str = "evidence") -> tuple[Upload | None, Problem | None]:
    """Read one uploaded file (a Django ``UploadedFile`` or any object with ``name``/``read``).

    Returns the upload, or a problem naming the file and what is wrong with it.
    """
    name = getattr(f, "name", "") or _("(unnamed file)")
    limit = settings.JICENG_MAX_UPLOAD_BYTES
    size = getattr(f, "size", None)
    if size is not None and size > limit:
        return None, _too_big(name, field, limit)
    data = f.read(limit + 1)
    if len(data) > limit:
        return None, _too_big(name, field, limit)
    if not data:
        return None, Problem(pgettext("ledger", "The file is empty."), file=name, field=field)
    kind = sniff(data, name)
    if kind is None:
        return None, Problem(
            _(
                "This kind of file is not accepted as evidence; upload PDF, an image "
                "(PNG, JPEG, GIF, WebP), Word or Excel."
            ),
            file=name,
            field=field,
        )
    return Upload(name=name, data=data, kind=kind), None


def _too_big(name: str, field: str, limit: int) -> Problem:
    return Problem(
        _("The file is larger than the limit of %(mb)s MB.") % {"mb": f"{limit / 1048576:g}"},
        file=name,
        field=field,
    )
