"""Evidence files of manual scores and bad-practice points: attached in the forms, listed with
download links, refused with a message naming the file (and then nothing at all is saved),
downloadable only in scope, frozen with a published appraisal and kept by its correction.

The checks themselves (content sniffing, size limit, Office packages) are core's
(``core/evidence.py``, tested in tests/rectification/test_evidence*.py); here: that appraisal
uses them, all or nothing.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jiceng.appraisal import actions
from jiceng.appraisal.models import BadPractice, EvidenceFile, ManualValue
from jiceng.core.errors import UserError
from jiceng.core.models import AuditEvent

from .helpers import load_scheme, worked_appraisal

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"  # 45 bytes
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 54 + b"PE\x00\x00"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


def pdf(name: str = "现场核查表.pdf", data: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def draft(personas):
    """A draft appraisal of county A with no manual value yet."""
    version = load_scheme(personas.tree.P)
    return actions.do_open_appraisal(personas.county_admin, version, personas.tree.A, 2025)


# A file of 2,048 bytes against a limit of 1,024 bytes; an executable named .pdf; nothing.
BAD_FILES = {
    "too large": (lambda: pdf("大扫描件.pdf", PDF + b"0" * 2003), "大扫描件.pdf", "大小限制"),
    "program named .pdf": (lambda: pdf("核查表.pdf", EXE), "核查表.pdf", "不接受此类文件"),
    "empty": (lambda: pdf("空白.pdf", b""), "空白.pdf", "文件为空"),
}


def test_a_manual_score_takes_files_and_the_sheet_lists_them_with_download_links(
    personas, client_for, media
):
    t = personas.tree
    appraisal = draft(personas)
    client = client_for(personas.county_admin)
    url = reverse("appraisal:manual", args=[appraisal.pk, t.TA1.code])
    response = client.post(
        url,
        {"v-A": "8", "r-A": "制度齐全", "e-A": "", "f-A": [pdf(), pdf("照片.pdf")]},
    )
    assert response.status_code == 302
    m = ManualValue.objects.get(appraisal=appraisal, unit=t.TA1)
    files = list(m.files.order_by("name"))
    assert [(f.name, f.kind, f.size, f.node) for f in files] == [
        ("照片.pdf", "pdf", 45, t.TA1),
        ("现场核查表.pdf", "pdf", 45, t.TA1),
    ]
    # both uploads have the same content: two rows, two stored files under appraisal/<unit>/
    assert len(stored(media)) == 2
    assert all(p.relative_to(media).parts[:2] == ("appraisal", t.TA1.code) for p in stored(media))
    event = AuditEvent.objects.get(action="appraisal.enter_manual")
    assert sorted(event.after["A"]["files"]) == ["照片.pdf", "现场核查表.pdf"]
    sheet = client.get(reverse("appraisal:sheet", args=[appraisal.pk, t.TA1.code]))
    link = reverse("appraisal:evidence", args=[files[1].pk])
    assert f'href="{link}"' in sheet.content.decode() and "现场核查表.pdf" in sheet.content.decode()
    response = client.get(link)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]
    download = AuditEvent.objects.get(action="download.evidence")
    assert (download.actor, download.node_path) == (personas.county_admin, t.TA1.path)


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_refused_file_is_named_with_its_reason_and_no_score_nor_file_is_saved(
    case, personas, client_for, media, settings
):
    settings.JICENG_MAX_UPLOAD_BYTES = 1024
    make, name, reason = BAD_FILES[case]
    t = personas.tree
    appraisal = draft(personas)
    client = client_for(personas.county_admin)
    url = reverse("appraisal:manual", args=[appraisal.pk, t.TA1.code])
    # one good file beside the bad one: it is not saved either
    response = client.post(
        url, {"v-A": "8", "r-A": "制度齐全", "e-A": "", "f-A": [pdf("好的.pdf"), make()]}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert name in text and reason in text and "现场核查" in text and "未保存任何数据" in text
    assert not ManualValue.objects.exists() and not EvidenceFile.objects.exists()
    assert stored(media) == []
    assert not AuditEvent.objects.filter(action="appraisal.enter_manual").exists()


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_refused_file_saves_no_bad_practice_record(case, personas, client_for, media, settings):
    settings.JICENG_MAX_UPLOAD_BYTES = 1024
    make, name, reason = BAD_FILES[case]
    client = client_for(personas.county_reviewer)
    response = client.post(
        reverse("appraisal:bad_practice"),
        {
            "institution": personas.tree.TA1.code,
            "date": "2025-05-06",
            "rule": "超范围执业",
            "points": "3",
            "evidence": "监督意见书",
            "files": [make()],
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert name in text and reason in text
    assert not BadPractice.objects.exists() and not EvidenceFile.objects.exists()
    assert stored(media) == []


def test_a_score_or_a_record_needs_an_evidence_file_or_a_note(personas, media):
    t = personas.tree
    appraisal = draft(personas)
    with pytest.raises(actions.ValidationFailed) as exc:
        actions.do_enter_manual(personas.county_admin, appraisal, t.TA1, {"A": ("8", "齐全", "")})
    assert "上传佐证材料文件，或填写佐证说明" in str(exc.value.problems[0])
    # a file without a score is refused too: it would support nothing
    with pytest.raises(actions.ValidationFailed) as exc:
        actions.do_enter_manual(
            personas.county_admin, appraisal, t.TA1, {"A": ("", "", "")}, files={"A": [pdf()]}
        )
    assert "请先填写这些佐证材料所支撑的得分" in str(exc.value.problems[0])
    with pytest.raises(actions.ValidationFailed) as exc:
        actions.do_record_bad_practice(
            personas.county_reviewer, t.TA1, _day(), "超范围执业", "3", ""
        )
    assert "上传佐证材料文件，或填写佐证说明" in str(exc.value.problems[0])
    assert not ManualValue.objects.exists() and not BadPractice.objects.exists()
    assert stored(media) == []


def _day():
    import datetime as dt

    return dt.date(2025, 5, 6)


def test_bad_practice_files_are_listed_and_downloaded_only_in_scope(personas, client_for, media):
    t = personas.tree
    bad = actions.do_record_bad_practice(
        personas.city_reviewer,
        t.TA2,
        _day(),
        "超范围执业",
        "3",
        "",
        files=[pdf("处罚决定书.pdf")],
    )
    [f] = bad.files.all()
    link = reverse("appraisal:evidence", args=[f.pk])
    listing = client_for(personas.city_reviewer).get(
        reverse("appraisal:bad_practice") + f"?institution={t.TA2.code}"
    )
    assert (
        f'href="{link}"' in listing.content.decode()
        and "处罚决定书.pdf" in listing.content.decode()
    )
    # in sight: the county, the city; out of sight: TA1's clerk, county B
    assert client_for(personas.county_admin).get(link).status_code == 200
    assert client_for(personas.city_reviewer).get(link).status_code == 200
    assert client_for(personas.clerk).get(link).status_code == 404
    assert client_for(personas.county_reviewer_b).get(link).status_code == 404
    assert (
        client_for(personas.county_admin)
        .get(reverse("appraisal:evidence", args=[f.pk + 1000]))
        .status_code
        == 404
    )
    # only the two downloads in sight were audited
    assert AuditEvent.objects.filter(action="download.evidence").count() == 2
    after = AuditEvent.objects.get(action="appraisal.record_bad_practice").after
    assert after["files"] == ["处罚决定书.pdf"]


def test_the_appraised_institution_downloads_its_own_manual_evidence_and_not_another(
    personas, client_for, media
):
    t = personas.tree
    appraisal = draft(personas)
    [own] = actions.do_enter_manual(
        personas.county_admin, appraisal, t.TA1, {"A": ("8", "齐全", "")}, files={"A": [pdf()]}
    )
    [other] = actions.do_enter_manual(
        personas.county_admin, appraisal, t.TA2, {"A": ("9", "齐全", "")}, files={"A": [pdf()]}
    )
    clerk = client_for(personas.clerk)  # works at TA1
    assert clerk.get(reverse("appraisal:evidence", args=[own.files.get().pk])).status_code == 200
    assert clerk.get(reverse("appraisal:evidence", args=[other.files.get().pk])).status_code == 404


def test_a_published_appraisal_refuses_file_changes_and_its_correction_keeps_its_files(
    personas, client_for, media, django_capture_on_commit_callbacks
):
    t = personas.tree
    appraisal = worked_appraisal(personas)  # TA1's A: 8 points, a note, no file yet
    actions.do_enter_manual(
        personas.county_admin,
        appraisal,
        t.TA1,
        {"A": ("8", "制度齐全", "现场核查记录 1 号")},
        files={"A": [pdf()]},
    )
    old = ManualValue.objects.get(appraisal=appraisal, unit=t.TA1)
    [f] = old.files.all()
    actions.do_review(personas.county_admin, appraisal)
    appraisal = actions.do_publish(personas.county_admin, appraisal)
    before = stored(media)
    with pytest.raises(UserError, match="草稿"):
        actions.do_enter_manual(
            personas.county_admin,
            appraisal,
            t.TA1,
            {"A": ("8", "制度齐全", "")},
            files={"A": [pdf("补充.pdf")]},
            remove={"A": [f.pk]},
        )
    assert list(old.files.all()) == [f] and EvidenceFile.objects.count() == 1
    assert stored(media) == before
    # the correction links the same file; taking it off the correction's draft leaves the
    # published version's link and the stored file where they are
    correction = actions.do_correct(personas.county_admin, appraisal, "申诉成立，重新核查")
    new = ManualValue.objects.get(appraisal=correction, unit=t.TA1)
    assert list(new.files.all()) == [f]
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_enter_manual(
            personas.county_admin,
            correction,
            t.TA1,
            {"A": ("9", "复核后", "")},
            files={"A": [pdf("复核记录.pdf")]},
            remove={"A": [f.pk]},
        )
    assert [x.name for x in new.files.all()] == ["复核记录.pdf"]
    assert list(old.files.all()) == [f] and f.file.storage.exists(f.file.name)
    link = reverse("appraisal:evidence", args=[f.pk])
    assert client_for(personas.county_admin).get(link).status_code == 200


def test_a_file_taken_off_a_draft_and_linked_nowhere_else_is_deleted(
    personas, media, django_capture_on_commit_callbacks
):
    t = personas.tree
    appraisal = draft(personas)
    [m] = actions.do_enter_manual(
        personas.county_admin,
        appraisal,
        t.TA1,
        {"A": ("8", "齐全", "核查表")},
        files={"A": [pdf()]},
    )
    f = m.files.get()
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_enter_manual(
            personas.county_admin,
            appraisal,
            t.TA1,
            {"A": ("8", "齐全", "核查表")},
            remove={"A": [f.pk]},
        )
    assert not EvidenceFile.objects.exists() and stored(media) == []
    event = AuditEvent.objects.filter(action="appraisal.enter_manual").order_by("pk").last()
    assert event.before["A"]["files"] == ["现场核查表.pdf"] and event.after["A"]["files"] == []


def test_the_api_lists_the_files_of_manual_items_and_bad_practice_read_only(
    personas, client_for, media
):
    t = personas.tree
    appraisal = draft(personas)
    [m] = actions.do_enter_manual(
        personas.county_admin, appraisal, t.TA1, {"A": ("8", "齐全", "")}, files={"A": [pdf()]}
    )
    bad = actions.do_record_bad_practice(
        personas.city_reviewer, t.TA2, _day(), "超范围执业", "3", "", files=[pdf("处罚决定书.pdf")]
    )
    client = client_for(personas.county_admin)
    rows = client.get(f"/api/v1/appraisal/appraisals/{appraisal.pk}/results").json()["items"]
    by_unit = {r["unit"]: r["items"] for r in rows}
    f = m.files.get()
    assert by_unit[t.TA1.code]["A"]["files"] == [
        {"name": "现场核查表.pdf", "kind": "pdf", "size": 45, "url": f"/appraisal/files/{f.pk}/"}
    ]
    assert by_unit[t.TA2.code]["A"]["files"] == []
    listed = client.get(f"/api/v1/appraisal/bad-practice?institution={t.TA2.code}").json()
    assert listed["count"] == 1
    [row] = listed["items"]
    assert (row["rule"], row["points"], [x["name"] for x in row["files"]]) == (
        "超范围执业",
        "3.00",
        ["处罚决定书.pdf"],
    )
    assert row["files"][0]["url"] == reverse("appraisal:evidence", args=[bad.files.get().pk])
    # county B sees neither the record nor the appraisal
    other = client_for(personas.county_reviewer_b)
    assert other.get("/api/v1/appraisal/bad-practice").json() == {"items": [], "count": 0}
    assert other.get(f"/api/v1/appraisal/appraisals/{appraisal.pk}/results").status_code == 404


def test_files_are_attached_to_recorded_points_later_all_or_nothing(personas, client_for, media):
    t = personas.tree
    bad = actions.do_record_bad_practice(
        personas.county_reviewer, t.TA1, _day(), "超范围执业", "3", "监督意见书 2025-17"
    )
    url = reverse("appraisal:bad_practice_files", args=[bad.pk])
    reviewer = client_for(personas.county_reviewer)
    # a good file beside an empty one: neither is kept, the message names the empty one
    response = reviewer.post(url, {"files": [pdf("处罚决定书.pdf"), pdf("空白.pdf", b"")]})
    assert response.status_code == 302 and not bad.files.exists() and stored(media) == []
    listing = reviewer.get(response["Location"]).content.decode()
    assert "空白.pdf" in listing and "文件为空" in listing
    response = reviewer.post(url, {"files": [pdf("处罚决定书.pdf")]})
    assert response.status_code == 302
    assert [f.name for f in bad.files.all()] == ["处罚决定书.pdf"] and len(stored(media)) == 1
    event = AuditEvent.objects.get(action="appraisal.attach_bad_practice_files")
    assert (event.before, event.after) == ({"files": []}, {"files": ["处罚决定书.pdf"]})
    # TA1's clerk sees the record but does not supervise; county B does not see it
    assert client_for(personas.clerk).post(url, {"files": [pdf()]}).status_code == 403
    assert client_for(personas.county_reviewer_b).post(url, {"files": [pdf()]}).status_code == 404
    assert bad.files.count() == 1
