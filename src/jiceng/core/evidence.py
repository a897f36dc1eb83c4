"""Evidence files, shared by the evaluation, the rectification ledger and appraisal: checked
by their content, not by their name; stored under the var dir; downloaded with an audit row.

Accepted: PDF, PNG, JPEG, GIF, WebP, Word (.docx, .doc), Excel (.xlsx, .xls) and PowerPoint
(.pptx). Everything else — executables, scripts, archives, empty files, files over
``JICENG_MAX_UPLOAD_BYTES`` — is refused with a message naming the file.

Office Open XML files (.docx, .xlsx, .pptx) are ZIP archives, so a ZIP holding a file named
``word/document.xml`` is not enough: :func:`office_check` wants ``[Content_Types].xml`` with the
main part's content type matching the file's extension, the main part itself, no macros,
ActiveX controls, embedded OLE packages or executables inside, and sizes within the limits
used for Excel uploads (``JICENG_XLSX_MAX_UNCOMPRESSED_BYTES``, ``…_RATIO``, ``…_MEMBERS``).
Old binary Office files (.doc, .xls) carrying a VBA project are refused too.

The apps keep their own models (what a file belongs to differs) and use from here:
:func:`read_uploads` (every file of a form, all problems at once), :func:`safe_name` and
:func:`hashed_name` (names on disk, under ``MEDIA_ROOT`` inside the var dir: nothing the user
typed reaches a path unchecked), :data:`CONTENT_TYPES`, :class:`EvidenceFilesField` (a form's
"choose several files" input), and :func:`attachment` (the audited download, always as an
attachment, never inline).
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from xml.etree import ElementTree as ET

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jiceng.core.errors import Problem

ALLOWED_KINDS = ("pdf", "png", "jpeg", "gif", "webp", "docx", "xlsx", "pptx", "doc", "xls")

# kind → (main part, its content type); only these plain, macro-free types are accepted.
OFFICE_MAIN = {
    "docx": (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    "xlsx": (
        "xl/workbook.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    ),
    "pptx": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    ),
}
# Parts that carry code: macros, ActiveX controls, embedded OLE packages (which can wrap any
# program), and programs or scripts by their extension.
_CODE_TYPES = ("macroenabled", "vbaproject", "vbadata", "activex", "oleobject")
_CODE_NAMES = re.compile(
    r"(vbaproject|vbaprojectsignature|vbadata|activex\d*|oleobject\d*)\.(bin|xml)$"
    r"|\.(exe|dll|com|scr|pif|cpl|msi|msp|jar|js|jse|vbs|vbe|wsf|wsh|hta|bat|cmd|ps1|psm1"
    r"|sh|lnk|reg|inf|docm|xlsm|pptm|dotm|xltm|potm|xlam|ppam|sldm)$",
    re.IGNORECASE,
)
_OLE_MACROS = ("_VBA_PROJECT".encode("utf-16-le"), "Macros".encode("utf-16-le"))

_SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
]
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
}


@dataclass(frozen=True)
class Upload:
    """An uploaded file read into memory, with the kind its content shows."""

    name: str
    data: bytes
    kind: str

    @cached_property
    def sha256(self) -> str:
        """The hex SHA-256 of the content."""
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES.get(self.kind, "application/octet-stream")


def sniff(data: bytes, name: str = "") -> str | None:
    """The kind of file ``data`` is (one of ``ALLOWED_KINDS``), or None if not accepted."""
    return judge(data, name)[0]


def judge(data: bytes, name: str = "") -> tuple[str | None, str | None]:
    """``(kind, None)`` for an accepted file, ``(None, reason or None)`` for a refused one."""
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            return kind, None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", None
    if data.startswith(b"PK\x03\x04"):
        return office_check(data, name)
    if data.startswith(_OLE2):
        # Old binary Office files share one container; the name tells Word from Excel.
        lower = name.lower()
        kind = "xls" if lower.endswith(".xls") else "doc" if lower.endswith(".doc") else None
        if kind and any(marker in data for marker in _OLE_MACROS):
            return None, _macro_message("VBA")
        return kind, None
    return None, None


def _macro_message(part: str) -> str:
    return _(
        "The file contains macros or embedded programs (%(part)s), which are not accepted as "
        "evidence. Save it as a plain document (.docx, .xlsx, .pptx) or as PDF and upload it "
        "again."
    ) % {"part": part}


def _not_genuine(reason: str) -> str:
    return _(
        "The file is not a genuine Office document (%(reason)s) and is not accepted as evidence."
    ) % {"reason": reason}


def office_check(data: bytes, name: str = "") -> tuple[str | None, str | None]:
    """Judge a ZIP-based upload as a .docx, .xlsx or .pptx: ``(kind, None)`` or ``(None, why)``."""
    lim = settings  # the ZIP limits are those of Excel uploads (core/xlsx.py)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None, _not_genuine(_("it is a damaged ZIP archive"))
    with zf:
        if len(infos) > lim.JICENG_XLSX_MAX_MEMBERS:
            return None, _not_genuine(_("it holds too many parts"))
        unpacked = sum(i.file_size for i in infos)
        if unpacked > lim.JICENG_XLSX_MAX_UNCOMPRESSED_BYTES or any(
            i.file_size > (1 << 20)
            and i.file_size > lim.JICENG_XLSX_MAX_RATIO * max(i.compress_size, 1)
            for i in infos
        ):
            return None, _not_genuine(_("it unpacks to far more than it holds (a ZIP bomb)"))
        if any(i.flag_bits & 0x1 for i in infos):
            return None, _not_genuine(_("parts of it are encrypted"))
        names = {i.filename for i in infos}
        for member in sorted(names):
            if _CODE_NAMES.search(member):
                return None, _macro_message(member)
        if "[Content_Types].xml" not in names:
            return None, _not_genuine(_("it has no [Content_Types].xml"))
        try:
            info = zf.getinfo("[Content_Types].xml")
            if info.file_size > (1 << 20):
                raise ET.ParseError("too large")
            types = ET.fromstring(zf.read(info))
        except (ET.ParseError, zipfile.BadZipFile, ValueError, OSError):
            return None, _not_genuine(_("its [Content_Types].xml cannot be read"))
        overrides: dict[str, str] = {}
        for el in types:
            tag = el.tag.rpartition("}")[2]
            content_type = (el.get("ContentType") or "").strip()
            if any(word in content_type.lower() for word in _CODE_TYPES):
                return None, _macro_message(content_type)
            if tag == "Override":
                overrides[(el.get("PartName") or "").lstrip("/")] = content_type
        ext = name.rpartition(".")[2].lower() if "." in name else ""
        candidates = [ext] if ext in OFFICE_MAIN else list(OFFICE_MAIN)
        for kind in candidates:
            part, content_type = OFFICE_MAIN[kind]
            if overrides.get(part) == content_type:
                if part not in names:
                    return None, _not_genuine(
                        _("its main part %(part)s is missing") % {"part": part}
                    )
                return kind, None
        if ext in OFFICE_MAIN:
            return None, _not_genuine(
                _("its content does not match the extension .%(ext)s") % {"ext": ext}
            )
        return None, None


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
    kind, reason = judge(data, name)
    if kind is None:
        return None, Problem(
            reason
            or _(
                "This kind of file is not accepted as evidence; upload PDF, an image "
                "(PNG, JPEG, GIF, WebP), Word, Excel or PowerPoint."
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


def read_uploads(
    files: Iterable[Any], field: str = "evidence"
) -> tuple[list[Upload], list[Problem]]:
    """Read every uploaded file: the accepted ones and a problem for each refused one.

    Callers save nothing when the problem list is not empty (all or nothing)."""
    uploads: list[Upload] = []
    problems: list[Problem] = []
    for f in files:
        upload, problem = read_upload(f, field)
        if problem is not None:
            problems.append(problem)
        else:
            uploads.append(upload)
    return uploads, problems


def safe_name(name: str) -> str:
    """``name`` reduced to characters safe on every file system (at most 80 of them)."""
    from django.utils.text import get_valid_filename

    stem = get_valid_filename(name.replace("/", "_").replace("\\", "_")) or "file"
    return stem[-80:]


def hashed_name(upload: Upload) -> str:
    """The file's name on disk: ``<hash>.<kind>``; the name the user gave is kept in the
    database only, so nothing they typed reaches the path."""
    return f"{upload.sha256[:24]}.{upload.kind}"


def store_upload(ev: Any, upload: Upload, *, name_field: str = "name", file_name: str = "") -> Any:
    """Fill an evidence row ``ev`` from a checked ``upload`` (the name it was given, its
    kind, size and hash), write the content to ``ev.file`` under ``file_name`` (by default
    :func:`hashed_name`) and save the row, inside the caller's transaction."""
    from django.core.files.base import ContentFile

    setattr(ev, name_field, upload.name[:255])
    ev.kind, ev.size, ev.sha256 = upload.kind, upload.size, upload.sha256
    ev.file.save(file_name or hashed_name(upload), ContentFile(upload.data), save=False)
    ev.save()
    return ev


def attachment(
    actor: Any,
    obj: Any,
    *,
    file: Any,
    name: str,
    kind: str = "",
    node_path: str = "",
    details: dict | None = None,
):
    """Download a stored evidence file: the audit row (``download.evidence``), then the file
    as an attachment under the name it was uploaded with. The caller has checked scope."""
    from django.http import FileResponse

    from jiceng.core import audit

    audit.record_download(actor, "evidence", obj, node_path=node_path, details=details)
    return FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=name,
        content_type=CONTENT_TYPES.get(kind, "application/octet-stream"),
    )


class MultipleFileInput(forms.ClearableFileInput):
    """A file input that takes several files at once."""

    allow_multiple_selected = True


class EvidenceFilesField(forms.FileField):
    """Several evidence files, optional. The form hands them on unchecked, as a list: the
    action checks each with :func:`read_uploads`, so a refused file is named with the other
    problems of the form and nothing is saved."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None) -> list:
        if not data:
            return []
        return list(data) if isinstance(data, list | tuple) else [data]
