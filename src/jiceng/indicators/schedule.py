"""The deployment's immunization schedule: ``JICENG_IMMUNIZATION_SCHEDULE`` names a YAML file.

A province whose schedule differs from the national programme of 2021 sets the variable to a
file of ``vaccine: {dose: due months}``. Loads (the vaccine and dose checks) and computations
(the due doses of ``imm_coverage``) of the platform then use it; without it, the national one.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from django.conf import settings

from jiceng.analytics.immunization import Schedule, validate_schedule
from jiceng.core.errors import Problem, ValidationFailed


def deployment_schedule() -> Schedule | None:
    """The schedule of ``JICENG_IMMUNIZATION_SCHEDULE``, or None for the national one.

    A missing or malformed file is a ValidationFailed naming the file, in Chinese.
    """
    name = getattr(settings, "JICENG_IMMUNIZATION_SCHEDULE", "")
    if not name:
        return None
    path = Path(name)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return validate_schedule(data)
    except OSError:
        reason = "免疫程序文件不存在或无法读取（JICENG_IMMUNIZATION_SCHEDULE）"
    except yaml.YAMLError as e:
        reason = f"免疫程序文件不是有效的 YAML：{e}"
    except ValueError as e:
        reason = str(e)
    raise ValidationFailed([Problem(reason, path.name)])


def schedule_settings() -> dict:
    """The indicator settings that carry the deployment's schedule (empty: the national one)."""
    schedule = deployment_schedule()
    return {} if schedule is None else {"immunization_schedule": schedule}
