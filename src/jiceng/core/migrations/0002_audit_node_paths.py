"""Every audit row carries the tree path of the data it touched (never empty).

Rows written before this change without a path (catalogs, users and tokens of global
users, objects whose path was not followed) get the path of their object, or "/" (read
by global superusers only) when the object hangs on no node or no longer exists.
"""

from django.db import migrations


def fill_paths(apps, schema_editor):
    from jiceng.core.audit import GLOBAL_PATH, node_path_of

    AuditEvent = apps.get_model("core", "AuditEvent")
    cache: dict[tuple[str, str], str] = {}
    for event in AuditEvent.objects.filter(node_path="").iterator():
        key = (event.object_type, event.object_id)
        if key not in cache:
            path = GLOBAL_PATH
            try:
                model = apps.get_model(*event.object_type.split(".", 1))
                obj = model._default_manager.filter(pk=event.object_id).first()
            except (LookupError, ValueError, TypeError):
                obj = None
            if obj is not None:
                path = node_path_of(obj)
            cache[key] = path
        AuditEvent.objects.filter(pk=event.pk).update(node_path=cache[key])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("accounts", "0001_initial"),
        ("orgs", "0002_import_job"),
        ("standards", "0003_catalog_owner_region"),
        ("assessments", "0001_initial"),
        ("rectification", "0002_event_label"),
        ("indicators", "0002_recordset_progress"),
    ]

    operations = [migrations.RunPython(fill_paths, migrations.RunPython.noop)]
