"""jiceng records load DIR: validate and load a record set into the analytics store."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiceng.analytics import load_recordset
from jiceng.core.errors import ValidationFailed

from ._common import Bar, print_problems, tree_for


def load_as(
    name: str,
    src: Path,
    *,
    skip_invalid: bool = False,
    rejects: Path | None = None,
    progress=None,
    region=None,
):
    """Load ``src`` as record set ``name`` (replacing an earlier load); return (RecordSet, result).

    The record set belongs to ``region`` (default: the smallest platform unit covering its
    population); its units must lie in that region (ValidationFailed otherwise).
    """
    from jiceng.indicators.regions import check_units
    from jiceng.indicators.store import register_load, store_path

    check_units(src, region)
    folder = Path(settings.JICENG_ANALYTICS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".cli-{uuid.uuid4().hex}.duckdb"
    from jiceng.indicators.schedule import deployment_schedule

    result = load_recordset(
        src,
        tmp,
        tree=tree_for(src, region),
        pii_key=settings.JICENG_PII_KEY.encode(),
        skip_invalid=skip_invalid,
        rejects=rejects,
        progress=progress,
        immunization_schedule=deployment_schedule(),
    )
    try:
        owner = region or covering_region(tmp)
        if region is None:
            check_units(src, owner)
        rs = register_load(name, src, result, rejects=rejects, node=owner)
        final = store_path(rs)
        os.replace(tmp, final)
        result.store = final
        rs.store_path = str(final)
        rs.save(update_fields=["store_path"])
    finally:
        if tmp.exists():
            tmp.unlink()
    return rs, result


def _region(code: str | None):
    """The platform unit named by ``--region``, or None when not given."""
    from jiceng.orgs.models import Node

    if not code:
        return None
    node = Node.objects.filter(code=code).first()
    if node is None:
        raise CommandError(_("No organisation unit has the code %(code)s.") % {"code": code})
    return node


def covering_region(store: Path):
    """The smallest platform unit whose subtree holds every unit with population rows."""
    import duckdb

    from jiceng.orgs.models import Node

    with duckdb.connect(str(store), read_only=True) as con:
        codes = [r[0] for r in con.execute("SELECT DISTINCT org_code FROM population").fetchall()]
    paths = list(Node.objects.filter(code__in=codes).values_list("path", flat=True))
    if not paths:
        return None
    prefix = os.path.commonprefix(paths)
    prefix = prefix[: prefix.rstrip("/").rfind("/") + 1] if not prefix.endswith("/") else prefix
    return Node.objects.filter(path=prefix).first()


class Command(BaseCommand):
    help = "Validate and load a record set into the analytics store (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("dir", help="record set directory")
        parser.add_argument("--name", help="record set name (default: the directory name)")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="leave bad rows out and write them to --rejects",
        )
        parser.add_argument("--rejects", help="CSV file for the rows left out")
        parser.add_argument(
            "--region",
            help="code of the region the record set belongs to (default: the smallest "
            "platform unit holding its population); it may only list units of that region "
            "and gives figures to them only (see docs/indicators.md)",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        src = Path(opts["dir"])
        name = opts["name"] or src.resolve().name
        rejects = Path(opts["rejects"]) if opts["rejects"] else None
        if rejects and not opts["skip_invalid"]:
            self.stderr.write(_("--rejects only makes sense with --skip-invalid."))
            sys.exit(2)
        region = _region(opts["region"])
        bar = Bar(not opts["no_progress"])
        try:
            rs, result = load_as(
                name,
                src,
                skip_invalid=opts["skip_invalid"],
                rejects=rejects,
                progress=bar,
                region=region,
            )
        except ValidationFailed as e:
            bar.close()
            print_problems(self.stderr, e.problems)
            self.stderr.write(
                _("%(n)s problems found; nothing was loaded.") % {"n": len(e.problems)}
            )
            sys.exit(1)
        finally:
            bar.close()
        print_problems(self.stderr, [], result.warnings)
        for table, n in result.counts.items():
            self.stdout.write(_("%(table)s: %(rows)s rows") % {"table": table, "rows": n})
        if result.rejected:
            self.stdout.write(
                _("%(n)s rows left out, listed in %(file)s")
                % {"n": result.rejected, "file": rejects or "-"}
            )
        self.stdout.write(_("Loaded record set %(name)s.") % {"name": rs.name})
