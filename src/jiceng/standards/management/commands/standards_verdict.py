"""``jiceng standards verdict CATALOG GRADES.csv``: print the verdict of a grading as JSON."""

import dataclasses
import json
from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jiceng.core.errors import ValidationFailed
from jiceng.standards.catalog import load_catalog_file
from jiceng.standards.excel import read_grades_csv, read_grades_excel
from jiceng.standards.verdict import GradingError, compute_verdict

from ._common import fail, print_problems


class Command(BaseCommand):
    help = (
        "Compute the verdict of a grading. GRADES is a CSV with columns item_code,grade "
        "(or the grading workbook .xlsx); prints one JSON object."
    )

    def add_arguments(self, parser):
        parser.add_argument("catalog")
        parser.add_argument("grades")

    def handle(self, *args, catalog, grades, **options):
        try:
            spec = load_catalog_file(catalog)
        except FileNotFoundError:
            self.stderr.write(_("File not found: %(file)s") % {"file": catalog})
            fail(2)
        except ValidationFailed as exc:
            print_problems(self, exc, _("The catalog is not valid:"))
            fail(1)
        path = Path(grades)
        if not path.exists():
            self.stderr.write(_("File not found: %(file)s") % {"file": grades})
            fail(2)
        rows: dict[str, int] = {}
        try:
            if path.suffix.lower() in {".xlsx", ".xlsm"}:
                given = {
                    code: grade
                    for code, (grade, _remark) in read_grades_excel(
                        path.read_bytes(), path.name, spec
                    ).items()
                }
            else:
                given, rows = read_grades_csv(path.read_bytes(), path.name, spec)
            verdict = compute_verdict(spec, given)
        except GradingError as exc:
            problems = [
                dataclasses.replace(p, file=path.name, row=rows.get(p.field)) for p in exc.problems
            ]
            print_problems(
                self,
                GradingError(problems),
                _("No verdict: %(n)s item(s) must be corrected first:") % {"n": len(problems)},
            )
            fail(1)
        except ValidationFailed as exc:
            print_problems(self, exc, _("The grades file has problems:"))
            fail(1)
        self.stdout.write(json.dumps(verdict.to_dict(), ensure_ascii=False, indent=2))
