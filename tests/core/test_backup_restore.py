"""``jiceng backup`` / ``jiceng restore``: a deployment restored into an empty one is whole."""

from __future__ import annotations

import datetime as dt
import io
import stat
import tarfile

import duckdb
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import translation

from jiceng.accounts.models import User
from jiceng.assessments.models import Evidence, Grade, Submission
from jiceng.core.models import AuditEvent
from jiceng.indicators.models import IndicatorValue, RecordSet
from jiceng.orgs.models import Node, NodeYear
from jiceng.rectification.models import LedgerEntry

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PASSWORD = "Jiceng-test-2025"

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def old_var(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "old" / "media"
    settings.JICENG_ANALYTICS_DIR = tmp_path / "old" / "analytics"
    return tmp_path / "old"


def build_dataset(personas, tmp_path) -> dict:
    """A small deployment: tree, users, a cycle with a grade and evidence, a ledger entry,
    and a loaded record set with computed values."""
    from jiceng.analytics import generate_recordset
    from jiceng.assessments.actions import do_open_cycle, do_save_grades, do_upload_evidence
    from jiceng.indicators import actions as indicator_actions
    from jiceng.indicators.store import platform_tree
    from jiceng.indicators.tasks import run_compute, run_load
    from jiceng.rectification.actions import do_open_entry
    from jiceng.standards.actions import do_load_samples

    t, p = personas.tree, personas
    do_load_samples(None)
    cycle = do_open_cycle(
        None,
        t.A,
        2025,
        self_deadline=dt.date(2099, 6, 30),
        county_deadline=dt.date(2099, 8, 31),
        recheck_deadline=dt.date(2099, 10, 31),
    )
    sub = Submission.objects.get(cycle=cycle, institution=t.TA1)
    code = sub.catalog.items.order_by("pk").first().code
    do_save_grades(p.clerk, sub, "self", {code: "A"}, {code: "备注"}, version=sub.version)
    sub = Submission.objects.get(pk=sub.pk)
    do_upload_evidence(p.clerk, sub, "self", code, [SimpleUploadedFile("证明.pdf", PDF)])
    do_open_entry(
        p.county_reviewer,
        t.TA1,
        source="other",
        description="药房温湿度记录不全",
        responsible="王医生",
        deadline=dt.date.today() + dt.timedelta(days=10),
    )
    src = tmp_path / "rs"
    generate_recordset(src, platform_tree(t.A), [2025], seed=7, residents=300)
    rs = indicator_actions.do_register_upload(
        p.county_admin, name="甲县2025", node=t.A, source=str(src)
    )
    assert run_load(rs.pk, str(src))["status"] == "ready"
    assert run_compute(rs.pk, ["2025"])["status"] == "computed"
    return {"code": code}


def snapshot() -> dict:
    return {
        "nodes": Node.objects.count(),
        "years": NodeYear.objects.count(),
        "users": User.objects.count(),
        "grades": list(Grade.objects.values_list("item_code", "grade", "remark")),
        "evidence": Evidence.objects.count(),
        "ledger": list(LedgerEntry.objects.values_list("description", "responsible")),
        "audit": AuditEvent.objects.count(),
        "values": sorted(
            IndicatorValue.objects.values_list("org_code", "period", "indicator", "numerator")
        ),
    }


def test_a_backup_restored_into_an_empty_deployment_has_everything(
    personas, tmp_path, old_var, settings
):
    build_dataset(personas, tmp_path)
    before = snapshot()
    assert before["values"] and before["evidence"] == 1
    archive = tmp_path / "jiceng-backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO(), stderr=io.StringIO())
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names
    assert any(n.startswith("media/evidence/") for n in names)
    assert any(n.startswith("analytics/") and n.endswith(".duckdb") for n in names)

    # An empty deployment: empty database, empty var directory.
    call_command("flush", interactive=False, verbosity=0)
    settings.MEDIA_ROOT = tmp_path / "new" / "media"
    settings.JICENG_ANALYTICS_DIR = tmp_path / "new" / "analytics"
    assert Node.objects.count() == 0
    out = io.StringIO()
    call_command("restore", str(archive), stdout=out, stderr=io.StringIO())
    assert "恢复完成" in out.getvalue()

    assert snapshot() == before
    evidence = Evidence.objects.get()
    with evidence.file.open("rb") as f:
        assert f.read() == PDF
    assert str(tmp_path / "new" / "media") in evidence.file.path
    assert stat.S_IMODE((tmp_path / "new" / "media").stat().st_mode) == 0o700
    rs = RecordSet.objects.get()
    assert rs.store_path.startswith(str(tmp_path / "new" / "analytics"))
    with duckdb.connect(rs.store_path, read_only=True) as con:
        tables = {
            row[0]
            for row in con.execute("select table_name from information_schema.tables").fetchall()
        }
        assert "residents" in tables
        assert con.execute("select count(*) from residents").fetchone()[0] > 0
    client = Client()
    assert client.login(username=personas.clerk.username, password=PASSWORD)
    # New rows get fresh ids after the restored ones.
    node = Node.objects.create(code="X1", name="新", kind="province", path="/x/")
    assert node.pk > max(Node.objects.exclude(pk=node.pk).values_list("pk", flat=True))


def test_restore_refuses_a_deployment_that_holds_data_unless_forced(personas, tmp_path, old_var):
    archive = tmp_path / "b.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO(), stderr=io.StringIO())
    User.objects.create_user(username="late", password=PASSWORD)
    with translation.override("zh-hans"), pytest.raises(CommandError, match="不是空的"):
        call_command("restore", str(archive), stdout=io.StringIO(), stderr=io.StringIO())
    assert User.objects.filter(username="late").exists()
    call_command("restore", str(archive), "--force", stdout=io.StringIO(), stderr=io.StringIO())
    assert not User.objects.filter(username="late").exists()
    assert User.objects.filter(username=personas.clerk.username).exists()


def test_backup_refuses_to_overwrite_an_existing_file(personas, tmp_path, old_var):
    archive = tmp_path / "b.tar.gz"
    archive.write_bytes(b"keep")
    with pytest.raises(CommandError):
        call_command("backup", str(archive), stdout=io.StringIO(), stderr=io.StringIO())
    assert archive.read_bytes() == b"keep"
