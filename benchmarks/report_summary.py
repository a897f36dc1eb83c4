"""Time, queries and peak memory of writing a work summary, stage by stage, on a demo database.

    JICENG_VAR_DIR=/tmp/demo jiceng demo [--scale city|province]
    JICENG_VAR_DIR=/tmp/demo python benchmarks/report_summary.py [--region CODE] [--year Y]
                                                                  [--quarter Q] [--no-pdf]

Stages: the figures (every section's page queries), the Word document (template, tables,
charts), the PDF (LibreOffice). Default region: the demo county; default year: last year.
Prints one line per stage (seconds, queries, figures per second) and the peak memory of the
process (its resident set, LibreOffice not included: it is a child process).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="")
    parser.add_argument("--year", type=int, default=0)
    parser.add_argument("--quarter", type=int, default=None)
    parser.add_argument("--no-pdf", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from jiceng.orgs.models import Node
    from jiceng.reports import document, figures

    region = (
        Node.objects.get(code=args.region)
        if args.region
        else Node.objects.filter(kind="county").order_by("code").first()
    )
    year = args.year or timezone.localdate().year - 1
    print(
        f"region {region.name} ({region.code}), {year}"
        + (f"Q{args.quarter}" if args.quarter else "")
    )

    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        fields, figs = figures.build(region, year, args.quarter)
    t1 = time.perf_counter()
    print(
        f"figures   {t1 - t0:7.2f} s  {len(queries):4d} queries  {len(figs)} figures  "
        f"{len(figs) / (t1 - t0):8.1f} figures/s"
    )
    docx = document.render(document.default_template(), fields)
    t2 = time.perf_counter()
    print(f"docx      {t2 - t1:7.2f} s  {len(docx) / 1024:8.0f} KiB")
    if not args.no_pdf:
        pdf = document.to_pdf(docx)
        t3 = time.perf_counter()
        print(f"pdf       {t3 - t2:7.2f} s  {len(pdf) / 1024:8.0f} KiB")
    total = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total     {total:7.2f} s  peak memory {peak:.0f} MiB  load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
