"""Office files given as evidence are checked properly: a ZIP that merely holds a file named
``word/document.xml`` is not a Word document, and nothing carrying code gets in."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from jiceng.core.evidence import judge, read_upload

from .conftest import docx_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
PPTX_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def zip_of(files: dict[str, bytes | str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in files.items():
            zf.writestr(name, body)
    return buf.getvalue()


def content_types(*overrides: tuple[str, str], defaults: str = "") -> str:
    parts = "".join(f'<Override PartName="/{p}" ContentType="{t}"/>' for p, t in overrides)
    return (
        f'<?xml version="1.0"?><Types xmlns="{TYPES_NS}"><Default Extension="xml" '
        f'ContentType="application/xml"/>{defaults}{parts}</Types>'
    )


def with_members(data: bytes, extra: dict[str, bytes | str], drop: set[str] = frozenset()) -> bytes:
    """A copy of the ZIP ``data`` with members added or replaced, and some dropped."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        files = {n: zf.read(n) for n in zf.namelist() if n not in drop and n not in extra}
    return zip_of({**files, **extra})


def refusal(data: bytes, name: str) -> str:
    with translation.override("zh-hans"):
        up, problem = read_upload(SimpleUploadedFile(name, data))
    assert up is None, f"{name} was accepted"
    assert problem.file == name
    return problem.message


def test_genuine_files_made_by_python_docx_and_openpyxl_are_accepted():
    assert judge(docx_bytes(), "报告.docx") == ("docx", None)
    assert judge(xlsx_bytes(), "台账.xlsx") == ("xlsx", None)
    assert judge(docx_bytes(), "no-extension")[0] == "docx"


def test_a_plain_presentation_is_accepted():
    pptx = zip_of(
        {
            "[Content_Types].xml": content_types(("ppt/presentation.xml", PPTX_MAIN)),
            "_rels/.rels": "<Relationships/>",
            "ppt/presentation.xml": "<p:presentation/>",
        }
    )
    assert judge(pptx, "培训.pptx") == ("pptx", None)


def test_a_zip_that_merely_holds_word_document_xml_is_refused():
    data = zip_of({"word/document.xml": "<w:document/>"})
    assert "[Content_Types].xml" in refusal(data, "报告.docx")


def test_a_word_document_named_xlsx_is_refused_for_the_mismatch():
    assert ".xlsx" in refusal(docx_bytes(), "台账.xlsx")


def test_content_types_without_the_main_part_are_refused():
    data = with_members(docx_bytes(), {}, drop={"word/document.xml"})
    assert "word/document.xml" in refusal(data, "报告.docx")


def test_a_wrong_main_content_type_is_refused():
    data = with_members(
        docx_bytes(),
        {"[Content_Types].xml": content_types(("word/document.xml", "application/xml"))},
    )
    assert "不是真正的 Office 文档" in refusal(data, "报告.docx")


@pytest.mark.parametrize(
    "member",
    [
        "word/vbaProject.bin",
        "word/activeX/activeX1.bin",
        "word/embeddings/oleObject1.bin",
        "word/media/setup.exe",
        "word/run.js",
        "word/x.BAT",
        "word/payload.dll",
    ],
)
def test_members_carrying_code_are_refused(member):
    data = with_members(docx_bytes(), {member: b"MZ\x90\x00"})
    assert "宏或嵌入的程序" in refusal(data, "报告.docx")


def test_a_macro_enabled_document_renamed_docx_is_refused():
    data = with_members(
        docx_bytes(), {"[Content_Types].xml": content_types(("word/document.xml", DOCM_MAIN))}
    )
    assert "宏" in refusal(data, "报告.docx")


def test_an_old_word_file_with_a_vba_project_is_refused():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100 + "_VBA_PROJECT".encode("utf-16-le")
    assert "宏" in refusal(data, "旧.doc")
    assert judge(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "旧.doc") == ("doc", None)


def test_a_zip_bomb_is_refused(settings):
    data = with_members(docx_bytes(), {"word/media/blank.bin": b"\0" * (4 << 20)})
    assert "压缩炸弹" in refusal(data, "报告.docx")
    settings.JICENG_XLSX_MAX_UNCOMPRESSED_BYTES = 10_000
    assert "压缩炸弹" in refusal(docx_bytes(), "报告.docx")


def test_a_damaged_zip_is_refused():
    assert "损坏" in refusal(b"PK\x03\x04" + b"\0" * 40, "报告.docx")


def test_reporting_a_fix_with_a_fake_docx_is_refused_and_changes_nothing(entry, personas):
    from jiceng.core.errors import ValidationFailed
    from jiceng.rectification.actions import do_report_fixed
    from jiceng.rectification.models import Evidence

    fake = SimpleUploadedFile("整改报告.docx", zip_of({"word/document.xml": "<w:document/>"}))
    with pytest.raises(ValidationFailed) as err:
        do_report_fixed(personas.clerk, entry, measures="已整改", files=[fake])
    assert err.value.problems[0].file == "整改报告.docx"
    assert not Evidence.objects.exists()
