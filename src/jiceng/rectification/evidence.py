"""Checking evidence files by their content, not by their name.

Accepted: PDF, PNG, JPEG, GIF, WebP, Word (.docx, .doc), Excel (.xlsx, .xls) and PowerPoint
(.pptx). Everything else — executables, scripts, archives, empty files, files over
``JICENG_MAX_UPLOAD_BYTES`` — is refused with a message naming the file.

Office Open XML files (.docx, .xlsx, .pptx) are ZIP archives, so a ZIP holding a file named
``word/document.xml`` is not enough: :func:`office_check` wants ``[Content_Types].xml`` with the
main part's content type matching the file's extension, the main part itself, no macros,
ActiveX controls, embedded OLE packages or executables inside, and sizes within the limits
used for Excel uploads (``JICENG_XLSX_MAX_UNCOMPRESSED_BYTES``, ``…_RATIO``, ``…_MEMBERS``).
Old binary Office files (.doc, .xls) carrying a VBA project are refused too.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree as ET

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


@dataclass(frozen=True)
class Upload:
    """An uploaded file read into memory, with the kind its content shows."""

    name: str
    data: bytes
    kind: str


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
