"""Evidence files: checking, storing, listing and downloading (issue 12, appraisal evidence).

    python benchmarks/evidence.py [--records 300] [--kib 256] [--keep DIR]

In a throwaway SQLite database and var dir (a temporary JICENG_VAR_DIR unless ``--keep``):
1. the content check alone (``core/evidence.read_upload``) of files at the 20 MB limit: a PDF
   and a Word file whose package holds a 19 MB image (the ZIP checks read every member's
   header, the main part and ``[Content_Types].xml``);
2. ``do_record_bad_practice`` with one PDF of ``--kib`` KiB each, ``--records`` times across 100
   institutions (check, hash, store under var/media, database rows, audit row);
3. the bad-practice list as the province's administrator (50 rows a page, each with its files)
   and one file's download, with their query counts.
Prints wall time, CPU time, files/s and MB/s, peak memory and the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")

LIMIT = 20 * 1024 * 1024


def pdf_of(size: int, seed: int = 0) -> bytes:
    head = b"%PDF-1.4\n%" + str(seed).encode() + b"\n"
    return head + b"0" * (size - len(head) - 6) + b"\n%%EOF"


def docx_of(size: int) -> bytes:
    """A plain Word package of about ``size`` bytes: its bulk is one stored image."""
    types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="'
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
        '"/></Types>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("[Content_Types].xml", types)
        zf.writestr("word/document.xml", "<w:document/>")
        zf.writestr("word/media/image1.png", os.urandom(size - 4096))
    return out.getvalue()


class Named(io.BytesIO):
    """An upload as the forms hand it on: a name, a size and ``read``."""

    def __init__(self, name: str, data: bytes) -> None:
        super().__init__(data)
        self.name, self.size = name, len(data)


def timed(label: str, fn, files: int = 0, nbytes: int = 0):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rate = f"{files / wall:8,.1f} files/s  {nbytes / wall / 1e6:8,.1f} MB/s" if files else ""
    print(f"{label:<52} wall {wall:7.3f} s   CPU {cpu:7.3f} s   {rate}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--kib", type=int, default=256)
    parser.add_argument("--keep", default="")
    args = parser.parse_args()
    os.environ["JICENG_VAR_DIR"] = args.keep or tempfile.mkdtemp(prefix="evidence-bench-")
    os.environ.pop("DATABASE_URL", None)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from jiceng.accounts.models import User
    from jiceng.appraisal import actions
    from jiceng.appraisal.models import EvidenceFile
    from jiceng.core.evidence import read_upload
    from jiceng.orgs.actions import do_create_node

    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(
        STORAGES={**settings.STORAGES, "staticfiles": plain}, ALLOWED_HOSTS=["*"]
    ).enable()
    call_command("migrate", verbosity=0)

    # 1. the content check alone, at the size limit
    big_pdf, big_docx = pdf_of(LIMIT - 1), docx_of(LIMIT - 1)
    for label, name, data in (("check a 20 MB PDF", "a.pdf", big_pdf), ("check a 20 MB .docx", "a.docx", big_docx)):  # fmt: skip
        up, problem = timed(label, lambda n=name, d=data: read_upload(Named(n, d)), 1, len(data))
        assert problem is None and up is not None, problem

    # 2. recording points with a file each
    province = do_create_node(
        None, code="990000000000", name="基准省", kind="province", parent=None
    )
    county = do_create_node(
        None, code="990100000000", name="基准县", kind="county", parent=province
    )
    institutions = [
        do_create_node(
            None, code=f"9901{i + 1:04d}0000", name=f"卫生院{i}", kind="township_hc", parent=county
        )
        for i in range(100)
    ]
    size = args.kib * 1024
    day = dt.date.today() - dt.timedelta(days=1)

    def record_all() -> None:
        for n in range(args.records):
            actions.do_record_bad_practice(
                None,
                institutions[n % len(institutions)],
                day,
                "超范围执业",
                "2",
                "",
                files=[Named(f"处罚决定书-{n}.pdf", pdf_of(size, n))],
            )

    timed(
        f"record {args.records} points, one {args.kib} KiB PDF each",
        record_all,
        args.records,
        args.records * size,
    )
    assert EvidenceFile.objects.count() == args.records

    # 3. the list and a download
    admin = User.objects.create_user("bench_admin", role="admin", node=province)
    client = Client()
    client.force_login(admin)
    client.get("/")
    for label, path in (
        ("GET bad-practice list (50 rows with files)", "/appraisal/bad-practice/"),
        ("GET its last page", f"/appraisal/bad-practice/?page={(args.records + 49) // 50}"),
        ("GET one evidence file (download)", f"/appraisal/files/{EvidenceFile.objects.first().pk}/"),
    ):  # fmt: skip
        with CaptureQueriesContext(connection) as queries:
            response = timed(label, lambda p=path: client.get(p))
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code == 200, (path, response.status_code)
        print(f"{'':<52} {len(queries)} queries")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"max RSS {peak:.0f} MiB; load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
