"""``jiceng standards check FILE``: validate a catalog file, print every problem or a summary."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jiceng.core.errors import ValidationFailed
from jiceng.standards.catalog import load_catalog_file

from ._common import fail, print_problems


class Command(BaseCommand):
    help = "Validate a standards catalog (YAML, JSON or Excel); exit 0 only when it is valid."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            spec = load_catalog_file(file)
        except FileNotFoundError:
            self.stderr.write(_("File not found: %(file)s") % {"file": file})
            fail(2)
        except ValidationFailed as exc:
            print_problems(
                self,
                exc,
                _("The catalog has %(n)s problem(s); nothing can be loaded until they are fixed:")
                % {"n": len(exc.problems)},
            )
            fail(1)
        w = self.stdout.write
        w(
            _("Catalog is valid: %(title)s, code %(code)s, version %(version)s.")
            % {"title": spec.title, "code": spec.code, "version": spec.version}
        )
        w(_("Institution types: %(kinds)s") % {"kinds": ", ".join(spec.institution_kinds)})
        w(
            _("Scale: %(scale)s")
            % {
                "scale": " ".join(
                    f"{g.grade}({_('meets') if g.meets else _('fails')})" for g in spec.scale
                )
            }
        )
        w(
            _("Thresholds: basic %(b)s, recommended %(r)s")
            % {"b": spec.basic_threshold, "r": spec.recommended_threshold}
        )
        w("")
        head = [
            _("Chapter"),
            _("Basic"),
            _("of which core"),
            _("Recommended"),
            _("of which core"),
            _("N/A allowed"),
            _("Items"),
        ]
        w("\t".join(head))
        totals = [0, 0, 0, 0, 0, 0]
        for row in spec.summary():
            values = [
                row["basic"],
                row["basic_core"],
                row["recommended"],
                row["recommended_core"],
                row["na_allowed"],
                row["items"],
            ]
            totals = [a + b for a, b in zip(totals, values, strict=True)]
            w("\t".join([f"{row['chapter']} {row['title']}", *map(str, values)]))
        w("\t".join([_("Total"), *map(str, totals)]))
