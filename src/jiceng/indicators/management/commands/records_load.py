"""jiceng records load DIR: validate and load a record set into the analytics store."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jiceng.analytics import load_recordset
from jiceng.core.errors import ValidationFailed

from ._common import Bar, print_problems, tree_for


def load_as(
    name: str, src: Path, *, skip_invalid: bool = False, rejects: Path | None = None, progress=None
):
    """Load ``src`` as record set ``name`` (replacing an earlier load); return (RecordSet, result)."""
    from jiceng.indicators.store import register_load, store_path

    folder = Path(settings.JICENG_ANALYTICS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".cli-{uuid.uuid4().hex}.duckdb"
    result = load_recordset(
        src,
        tmp,
        tree=tree_for(src),
        pii_key=settings.JICENG_PII_KEY.encode(),
        skip_invalid=skip_invalid,
        rejects=rejects,
        progress=progress,
    )
    try:
        rs = register_load(name, src, result, rejects=rejects)
        final = store_path(rs)
        os.replace(tmp, final)
        result.store = final
        rs.store_path = str(final)
        rs.save(update_fields=["store_path"])
    finally:
        if tmp.exists():
            tmp.unlink()
    return rs, result


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
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        src = Path(opts["dir"])
        name = opts["name"] or src.resolve().name
        rejects = Path(opts["rejects"]) if opts["rejects"] else None
        if rejects and not opts["skip_invalid"]:
            self.stderr.write(_("--rejects only makes sense with --skip-invalid."))
            sys.exit(2)
        bar = Bar(not opts["no_progress"])
        try:
            rs, result = load_as(
                name, src, skip_invalid=opts["skip_invalid"], rejects=rejects, progress=bar
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
