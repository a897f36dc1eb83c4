"""Catalogs belong to a region (``owner``) and apply within it.

Catalogs loaded before this change applied everywhere. Each gets the root of the tree
it was used or loaded in, so it keeps applying wherever it could be used before: the
only root when the tree has one; otherwise the one root that the cycles using it and
the administrator who loaded it point to. A catalog with no such single root stays
national (owner empty: it applies everywhere and only global superusers change it).
"""

import django.db.models.deletion
from django.db import migrations, models


def _root_id(path: str) -> int | None:
    parts = [p for p in (path or "").strip("/").split("/") if p]
    return int(parts[0]) if parts else None


def assign_owners(apps, schema_editor):
    Catalog = apps.get_model("standards", "Catalog")
    Node = apps.get_model("orgs", "Node")
    CycleCatalog = apps.get_model("assessments", "CycleCatalog")
    Submission = apps.get_model("assessments", "Submission")
    AuditEvent = apps.get_model("core", "AuditEvent")
    User = apps.get_model("accounts", "User")
    roots = list(Node.objects.filter(parent__isnull=True).values_list("pk", flat=True))
    for catalog in Catalog.objects.filter(owner__isnull=True):
        if len(roots) == 1:
            owner = roots[0]
        else:
            paths = list(
                CycleCatalog.objects.filter(catalog=catalog).values_list("cycle__region__path", flat=True)
            )
            paths += list(
                Submission.objects.filter(catalog=catalog).values_list("institution__path", flat=True)
            )
            actor_ids = AuditEvent.objects.filter(
                action="standards.load_catalog", object_id=str(catalog.pk)
            ).values_list("actor_id", flat=True)
            paths += list(
                User.objects.filter(pk__in=[a for a in actor_ids if a]).values_list(
                    "node__path", flat=True
                )
            )
            found = {_root_id(p) for p in paths} - {None}
            owner = found.pop() if len(found) == 1 else None
        if owner is not None:
            Catalog.objects.filter(pk=catalog.pk).update(owner_id=owner)


class Migration(migrations.Migration):

    dependencies = [
        ("orgs", "0002_import_job"),
        ("standards", "0002_item_titles"),
        ("assessments", "0001_initial"),
        ("accounts", "0001_initial"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="catalog",
            name="standards_catalog_unique",
        ),
        migrations.AddField(
            model_name="catalog",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="orgs.node",
                verbose_name="owner region",
            ),
        ),
        migrations.RunPython(assign_owners, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="catalog",
            constraint=models.UniqueConstraint(
                fields=("owner", "code", "version"), name="standards_catalog_unique"
            ),
        ),
    ]
