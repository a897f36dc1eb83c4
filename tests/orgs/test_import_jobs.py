"""Large uploads run in the background task worker, with a page that follows them."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from jiceng.orgs.models import ImportJob, Node
from jiceng.orgs.tasks import run_import

from .helpers import db_state, workbook

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def big_file(tree, n=5):
    return workbook(
        [[f"X{i}", f"新{i}镇卫生院", "乡镇卫生院", tree.A.code, None, None, None] for i in range(n)]
    )


@override_settings(TASKS=IMMEDIATE, JICENG_IMPORT_BACKGROUND_ROWS=3)
def test_a_large_upload_is_imported_by_the_worker_and_followed_on_its_page(personas, client_for):
    c = client_for(personas.county_admin)
    response = c.post(
        "/orgs/import/", {"file": SimpleUploadedFile("big.xlsx", big_file(personas.tree))}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/orgs/import/{job.pk}/"
    assert job.status == "done" and job.result["created"] == 5 and job.data == b""
    assert Node.objects.filter(code__startswith="X").count() == 5
    html = c.get(f"/orgs/import/{job.pk}/").content.decode()
    assert 'data-status="done"' in html and "导入完成" in html


@override_settings(TASKS=IMMEDIATE, JICENG_IMPORT_BACKGROUND_ROWS=3)
def test_a_large_file_with_problems_is_refused_at_once_without_a_job(personas, client_for):
    c = client_for(personas.county_admin)
    data = workbook(
        [[f"X{i}", "x", "卫生所", personas.tree.A.code, None, None, None] for i in range(5)]
    )
    response = c.post("/orgs/import/", {"file": SimpleUploadedFile("big.xlsx", data)})
    assert response.status_code == 422 and not ImportJob.objects.exists()


def test_a_job_that_meets_a_changed_tree_fails_with_its_problems_and_saves_nothing(
    personas, client_for
):
    tree = personas.tree
    job = ImportJob.objects.create(
        created_by=personas.county_admin, filename="big.xlsx", data=big_file(tree), total=5
    )
    # Meanwhile someone took one of the codes in another county.
    from jiceng.orgs.actions import do_create_node

    do_create_node(None, code="X3", name="乙县新院", kind="township_hc", parent=tree.B)
    before = db_state()
    assert run_import(job.pk) == "failed"
    assert db_state() == before
    job.refresh_from_db()
    assert job.problems[0]["row"] == 5 and "X3" in job.problems[0]["message"]
    html = client_for(personas.county_admin).get(f"/orgs/import/{job.pk}/").content.decode()
    assert 'data-status="failed"' in html and "<th>原因</th>" in html


def test_a_job_runs_only_once(personas):
    job = ImportJob.objects.create(
        created_by=personas.county_admin, filename="big.xlsx", data=big_file(personas.tree), total=5
    )
    assert run_import(job.pk) == "done"
    assert run_import(job.pk) == "done"
    assert Node.objects.filter(code__startswith="X").count() == 5


def test_the_progress_part_asks_the_page_to_reload_when_done(personas, client_for):
    job = ImportJob.objects.create(
        created_by=personas.county_admin, filename="big.xlsx", data=big_file(personas.tree), total=5
    )
    c = client_for(personas.county_admin)
    part = c.get(f"/orgs/import/{job.pk}/", {"part": "progress"}, headers={"HX-Request": "true"})
    assert "hx-get" in part.content.decode() and "HX-Refresh" not in part
    run_import(job.pk)
    part = c.get(f"/orgs/import/{job.pk}/", {"part": "progress"}, headers={"HX-Request": "true"})
    assert part["HX-Refresh"] == "true"


def test_only_the_admin_who_uploaded_sees_the_job(personas, client_for):
    job = ImportJob.objects.create(
        created_by=personas.county_admin, filename="big.xlsx", data=b"", total=5
    )
    assert client_for(personas.province_admin).get(f"/orgs/import/{job.pk}/").status_code == 404
    assert client_for(personas.county_reviewer).get(f"/orgs/import/{job.pk}/").status_code == 403
