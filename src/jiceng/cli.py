"""The ``jiceng`` command.

``jiceng GROUP VERB ARGS`` runs the Django management command ``GROUP_VERB`` (for
example ``jiceng orgs import tree.xlsx`` runs ``orgs_import``); ``jiceng NAME ARGS``
runs ``NAME``. ``jiceng serve`` starts the production web server on 127.0.0.1:8000.
"""

from __future__ import annotations

import os
import sys

GROUPS_HELP = """jiceng — 优质服务基层行 platform

Usage: jiceng COMMAND [ARGS]

  serve [ADDR:PORT] [--workers N]
                             the production server: gunicorn (JICENG_WORKERS processes,
                             default 127.0.0.1:8000) and the task worker; --dev for
                             Django's development server (docs/deployment.md)
  migrate                    create or upgrade the database
  demo [--seed N] [--scale county|city|province] [--today YYYY-MM-DD] [--reset]
                             generate the demo region with users for every role,
                             dated relative to today (docs/demo.md)
  createuser USERNAME --role ROLE --node CODE
                             create a user attached to a node of the tree
  orgs import FILE.xlsx      import the organisation tree (all or nothing)
  orgs export FILE.xlsx      export the organisation tree in the import template
  orgs template FILE.xlsx    write an empty import template
  maps import FILE [--user U] [--code-field code]
                             import boundaries: GeoJSON or a zipped Shapefile (docs/maps.md)
  standards check FILE       validate a standards catalog
  standards verdict FILE GRADES.csv
                             compute a verdict from item grades
  standards load FILE        load a catalog into the platform
  standards samples          load the three sample catalogs
  evaluation import FILE --institution CODE --cycle ID --level self|county|recheck
  evaluation verdict --institution CODE --year Y
  evaluation publish --region CODE --year Y
  rectification export FILE.xlsx
                             export the rectification ledger
  rectification overdue      list overdue ledger entries
  datasets check FILE        validate a data set definition (YAML, JSON or Excel)
  datavalues aggregate --dataset FILE --orgs ORGS.csv --values VALUES.csv --period P
                     [--completions C.csv] --out OUT.csv
                             aggregate data values and indicators (no database)
  datavalues validate --dataset FILE --orgs ORGS.csv --values VALUES.csv --period P --out OUT.csv
                             the violations of the validation rules (no database)
  appraisal check SCHEME     validate an appraisal scheme (YAML, JSON or Excel)
  appraisal compute SCHEME --inputs INPUTS.csv [--population POP.csv] --out RESULT.json
                             scores, ranks, grades and funds (no database)
  report summary --region CODE --year Y [--quarter Q] --out FILE.docx [--no-pdf]
                             the work summary (or a quarter's progress report) of a
                             region as Word and PDF (docs/reports.md)
  surveys check FILE         validate a satisfaction questionnaire (YAML or JSON)
  surveys load FILE [--region CODE]
                             load a questionnaire into the platform
  surveys import FILE --questionnaire CODE --period 2026Q1 [--user NAME]
                             import a phone-survey file (CSV or Excel), all or nothing
  records template FILE.zip  the record set template (one CSV per table)
  records check DIR          validate a resident-level record set
  records load DIR           load a record set into the analytics store
  indicators compute --records DIR|--record-set NAME --period 2025 [--engine duckdb|spark] [--out F.csv]
                             compute the indicators of a record set
  db_worker                  run queued background jobs (serve starts one); first marks
                             jobs of dead workers failed
  jobs sweep                 mark jobs of dead workers failed, remove stray partial files
  backup FILE.tar.gz         the database, analytics store and evidence in one archive
  restore FILE.tar.gz        put a backup back into an empty deployment (--force wipes)

Every other Django management command works too (jiceng help lists them).
"""


# Groups that run on files alone, without Django or a database (and start in a fraction
# of the time Django's setup takes).
STATELESS = {"datasets", "datavalues"}
# Single verbs that run on files alone (their group's other verbs are Django commands).
STATELESS_VERBS = {("appraisal", "check"), ("appraisal", "compute")}


def _resolve(argv: list[str]) -> list[str]:
    from django.core.management import get_commands

    commands = get_commands()
    if len(argv) >= 2 and f"{argv[0]}_{argv[1]}" in commands:
        return [f"{argv[0]}_{argv[1]}", *argv[2:]]
    return argv


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    if not argv or argv[0] in {"-h", "--help"}:
        print(GROUPS_HELP)
        return
    from jiceng.core.pii import MaskingStream

    sys.stderr = MaskingStream(sys.stderr)  # problems and tracebacks: no ID number in clear
    if tuple(argv[:2]) in STATELESS_VERBS:
        from jiceng.appraisal_core.commands import main as appraisal

        sys.exit(appraisal(argv))
    if argv[0] in STATELESS:
        from jiceng.datasets.commands import main as stateless

        sys.exit(stateless(argv))
    import django

    django.setup()
    from django.core.management import execute_from_command_line

    argv = _resolve(argv)
    if argv[0] == "db_worker":
        _sweep_jobs()
        _schedule_reports()
    execute_from_command_line(["jiceng", *argv])


def _sweep_jobs() -> None:
    """A starting worker first fails the jobs of workers that died (their lease ran out)."""
    import logging

    from django.db import DatabaseError

    from jiceng.core.jobs import sweep

    try:
        sweep()
    except DatabaseError:  # not migrated yet: the worker reports that itself
        logging.getLogger(__name__).warning("sweeping dead jobs failed", exc_info=True)


def _schedule_reports() -> None:
    """A starting worker queues the quarterly progress reports unless a run already waits."""
    import logging

    from django.db import DatabaseError

    from jiceng.reports.tasks import ensure_scheduled

    try:
        ensure_scheduled()
    except DatabaseError:  # not migrated yet: the worker reports that itself
        logging.getLogger(__name__).warning("scheduling the reports failed", exc_info=True)


if __name__ == "__main__":
    main()
