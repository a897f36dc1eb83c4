"""jiceng indicators compute: compute every indicator of a record set for some periods."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jiceng.analytics import compute_indicators, load_recordset, parse_period
from jiceng.core.errors import ValidationFailed
from jiceng.core.exports import csv_writer

from ._common import Bar, print_problems, tree_for

COLUMNS = ["org_code", "period", "indicator", "numerator", "denominator", "value"]


def _fmt(x) -> str:
    if x is None:
        return ""
    return str(x) if isinstance(x, int) else repr(float(x))


def write_csv(path: Path, values) -> None:
    """The contract's CSV: value as a fraction, empty when undefined."""
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv_writer(f)
        w.writerow(COLUMNS)
        for v in values:
            w.writerow(
                [
                    v.org_code,
                    v.period,
                    v.indicator,
                    _fmt(v.numerator),
                    _fmt(v.denominator),
                    _fmt(v.value),
                ]
            )


def _setting(text: str):
    key, _sep, raw = text.partition("=")
    if key.strip() == "immunization_schedule":
        # a province's own schedule: a YAML file of vaccine -> {dose: due months}
        import yaml

        from jiceng.analytics.immunization import validate_schedule

        path = Path(raw.strip())
        if not path.is_file():
            raise ValueError(f"免疫程序文件「{path}」不存在")
        return "immunization_schedule", validate_schedule(yaml.safe_load(path.read_text("utf-8")))
    low = raw.strip().lower()
    if low in ("true", "1", "yes", "是"):
        return key.strip(), True
    if low in ("false", "0", "no", "否"):
        return key.strip(), False
    return key.strip(), float(raw)


class Command(BaseCommand):
    help = "Compute the indicators of a record set for one or more periods."

    def add_arguments(self, parser):
        src = parser.add_mutually_exclusive_group(required=True)
        src.add_argument("--records", help="a record set directory (loaded on the fly)")
        src.add_argument("--record-set", help="the name of a loaded record set")
        parser.add_argument(
            "--name", help="with --records and no --out: the record set name to store under"
        )
        parser.add_argument(
            "--period", action="append", required=True, help="2025, 2025Q2 or 2025-07 (repeatable)"
        )
        parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
        parser.add_argument(
            "--setting",
            action="append",
            default=[],
            help="KEY=VALUE, e.g. followups_spread_by_quarter=true",
        )
        parser.add_argument("--out", help="write the values to this CSV instead of storing them")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        from jiceng.indicators.models import RecordSet
        from jiceng.indicators.schedule import schedule_settings
        from jiceng.indicators.store import save_values

        try:
            periods = [parse_period(p) for p in opts["period"]]
            # the deployment's schedule, unless --setting gives another
            settings_ = {**schedule_settings(), **dict(_setting(s) for s in opts["setting"])}
        except ValueError as e:
            self.stderr.write(str(e))
            sys.exit(2)
        except ValidationFailed as e:
            print_problems(self.stderr, e.problems)
            sys.exit(2)
        bar = Bar(not opts["no_progress"])
        rs = None
        with tempfile.TemporaryDirectory(prefix="jiceng-compute-") as tmp:
            try:
                if opts["record_set"]:
                    rs = RecordSet.objects.filter(name=opts["record_set"]).first()
                    if rs is None or rs.status != RecordSet.Status.READY or not rs.store_path:
                        self.stderr.write(
                            _("No loaded record set named %(name)s.") % {"name": opts["record_set"]}
                        )
                        sys.exit(1)
                    store = Path(rs.store_path)
                elif opts["out"]:
                    src = Path(opts["records"])
                    store = Path(tmp) / "records.duckdb"
                    load_recordset(
                        src,
                        store,
                        tree=tree_for(src),
                        pii_key=settings.JICENG_PII_KEY.encode(),
                        progress=bar,
                        **(
                            {"immunization_schedule": settings_["immunization_schedule"]}
                            if "immunization_schedule" in settings_
                            else {}
                        ),
                    )
                else:
                    from .records_load import load_as

                    src = Path(opts["records"])
                    rs, result = load_as(opts["name"] or src.resolve().name, src, progress=bar)
                    store = result.store
                values = compute_indicators(
                    store, periods, engine=opts["engine"], settings=settings_, progress=bar
                )
            except ValidationFailed as e:
                bar.close()
                print_problems(self.stderr, e.problems)
                self.stderr.write(
                    _("%(n)s problems found; nothing was computed.") % {"n": len(e.problems)}
                )
                sys.exit(1)
            except ValueError as e:
                bar.close()
                self.stderr.write(str(e))
                sys.exit(2)
            finally:
                bar.close()
        if opts["out"]:
            write_csv(Path(opts["out"]), values)
            self.stdout.write(
                _("%(n)s values written to %(file)s") % {"n": len(values), "file": opts["out"]}
            )
            return
        saved = save_values(rs, values, opts["engine"])
        self.stdout.write(
            _("%(n)s values stored for record set %(name)s") % {"n": saved, "name": rs.name}
        )
