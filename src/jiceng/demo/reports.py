"""Demo stage "reports": the county's summary template and last year's work summary, queued.

The county administrator uploads the default template as the county's first version, and asks
for last year's work summary; the task worker (``jiceng serve``) writes it, with its PDF,
shortly after the server starts. Queuing costs the demo nothing; writing takes seconds.
"""

from __future__ import annotations

import random

from jiceng.demo.region import Region
from jiceng.reports import document, tasks
from jiceng.reports.actions import do_request_report, do_upload_template


def populate(region: Region, rng: random.Random) -> None:
    admin = region.users.get("admin")
    last_year = region.years[0]
    do_upload_template(
        admin, region.county, document.default_template(), "工作总结模板.docx", note="默认格式"
    )
    report = do_request_report(admin, region.county, last_year)
    tasks.enqueue(report)
