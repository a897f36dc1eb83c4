"""The upgrade masks ID numbers in problems and messages stored before masking existed."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps

from jiceng.indicators.models import RecordSet
from jiceng.orgs.models import ImportJob

pytestmark = pytest.mark.django_db

ID18 = "330101195001011234"


def test_stored_record_set_problems_messages_and_progress_are_masked(personas):
    rs = RecordSet.objects.create(
        name="旧",
        node=personas.tree.A,
        status=RecordSet.Status.FAILED,
        message=f"Loading failed: Could not convert '{ID18}'",
        problems=[
            {
                "message": f"「{ID18}」不是有效的性别",
                "file": "residents.csv",
                "row": 4,
                "column": "sex",
                "field": "",
            }
        ],
        progress={"task": "load", "done": True, "error": f"'{ID18}'"},
    )
    job = ImportJob.objects.create(
        filename="t.xlsx",
        status=ImportJob.Status.FAILED,
        error=f"「{ID18}」",
        problems=[{"message": f"类型「{ID18}」未知", "row": 3}],
    )
    import_module(
        "jiceng.indicators.migrations.0003_recordset_job_heartbeat"
    ).mask_stored_id_numbers(apps, None)
    import_module("jiceng.orgs.migrations.0003_import_job_heartbeat").mask_stored_id_numbers(
        apps, None
    )
    rs.refresh_from_db()
    job.refresh_from_db()
    stored = f"{rs.message}{rs.problems}{rs.progress}{job.error}{job.problems}"
    assert ID18 not in stored and "不是有效的性别" in stored and rs.problems[0]["row"] == 4
