"""Backing up a deployment into one archive, and restoring it into an empty one.

The archive is a ``.tar.gz`` (created 0600) holding:

- ``manifest.json``: format, jiceng version, time, database engine, applied migrations,
  the number of rows of every model and of files;
- ``database/<app>.<model>.jsonl``: every row, one JSON object a line, written by Django's
  serializer with natural foreign keys (content types by name), so it loads into SQLite or
  PostgreSQL alike. Sessions, content types, permissions and the task queue are left out
  (rebuilt or transient);
- ``analytics/``: every DuckDB store (``*.duckdb``), copied while a read-only DuckDB
  connection holds it (no writer can change it meanwhile), and the rejects files;
- ``media/``: the uploaded evidence files.

Restoring migrates the target database, refuses one that already holds data (unless told
to wipe it), loads every row in one transaction with constraint checks at the end, resets
the id sequences and puts the files back (0600 files in 0700 folders).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Model
from django.utils.translation import gettext as _

import jiceng
from jiceng.core.errors import UserError

FORMAT = 1
SKIPPED_MODELS = {
    "contenttypes.contenttype",
    "auth.permission",
    "sessions.session",
    "admin.logentry",
}
SKIPPED_APPS = {"django_tasks_db"}
CHUNK = 2000

Progress = Callable[[str, int], None]  # (stage, rows or files just done)


def _quiet(stage: str, n: int) -> None:
    pass


def backed_up_models() -> list[type[Model]]:
    """Every model whose rows go into a backup, parents before children where known."""
    chosen = [
        m
        for m in apps.get_models()
        if m._meta.label_lower not in SKIPPED_MODELS
        and m._meta.app_label not in SKIPPED_APPS
        and not m._meta.proxy
        and m._meta.managed
    ]
    app_list = {}
    for m in chosen:
        app_list.setdefault(apps.get_app_config(m._meta.app_label), []).append(m)
    return serializers.sort_dependencies(app_list.items(), allow_cycles=True)


def _analytics_files(root: Path) -> Iterator[Path]:
    """The files of the analytics store worth keeping: stores and rejects, not raw uploads."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root)
        if path.suffix == ".duckdb" or path.name.endswith(".duckdb.wal"):
            if path.name.endswith(".duckdb.wal"):
                continue  # copied together with its store
            yield path
        elif rel.parts[0] == "uploads" and path.name == "rejects.csv":
            yield path


def _media_files(root: Path) -> Iterator[Path]:
    if root.is_dir():
        yield from (p for p in sorted(root.rglob("*")) if p.is_file())


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(dt.datetime.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> None:
    info = tar.gettarinfo(str(path), arcname=name)
    info.mode = 0o600
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with path.open("rb") as f:
        tar.addfile(info, f)


def _add_duckdb(tar: tarfile.TarFile, name: str, path: Path) -> None:
    """Copy a DuckDB store while a read-only connection keeps writers out."""
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise UserError(
            _("The analytics store %(file)s is in use (%(error)s); try again when it is free.")
            % {"file": path.name, "error": exc}
        ) from exc
    try:
        _add_file(tar, name, path)
        wal = path.with_name(path.name + ".wal")
        if wal.exists():
            _add_file(tar, name + ".wal", wal)
    finally:
        con.close()


@dataclass
class Manifest:
    format: int
    version: str
    created_at: str
    database: str
    migrations: dict[str, list[str]]
    counts: dict[str, int]
    files: dict[str, int] = field(default_factory=dict)
    analytics_dir: str = ""

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def _migrations() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        out.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(out.items())}


def create_backup(target: Path, progress: Progress = _quiet) -> Manifest:
    """Write the whole deployment into ``target`` (a new ``.tar.gz``, mode 0600)."""
    models = backed_up_models()
    counts = {m._meta.label_lower: m._base_manager.count() for m in models}
    analytics_root = Path(settings.JICENG_ANALYTICS_DIR)
    media_root = Path(settings.MEDIA_ROOT)
    analytics = list(_analytics_files(analytics_root))
    media = list(_media_files(media_root))
    manifest = Manifest(
        format=FORMAT,
        version=jiceng.__version__,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        database=connection.vendor,
        migrations=_migrations(),
        counts=counts,
        files={"analytics": len(analytics), "media": len(media)},
        analytics_dir=str(analytics_root.resolve()),
    )
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            _add_bytes(tar, "manifest.json", json.dumps(manifest.__dict__, indent=1).encode())
            # One read transaction: every table as of the same moment (a snapshot on
            # SQLite under WAL; REPEATABLE READ on PostgreSQL). Writers are not blocked.
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                for model in models:
                    _add_table(tar, model, progress)
            for path in analytics:
                rel = path.relative_to(analytics_root).as_posix()
                if path.suffix == ".duckdb":
                    _add_duckdb(tar, f"analytics/{rel}", path)
                else:
                    _add_file(tar, f"analytics/{rel}", path)
                progress("files", 1)
            for path in media:
                _add_file(tar, f"media/{path.relative_to(media_root).as_posix()}", path)
                progress("files", 1)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


def _add_table(tar: tarfile.TarFile, model: type[Model], progress: Progress) -> None:
    with tempfile.TemporaryFile() as tmp:
        text = io.TextIOWrapper(tmp, encoding="utf-8", newline="\n")
        qs = model._base_manager.order_by("pk")
        last = None
        while True:  # keyset pages: constant memory, no server-side cursor needed
            page = list((qs.filter(pk__gt=last) if last is not None else qs)[:CHUNK])
            if not page:
                break
            serializers.serialize("jsonl", page, stream=text, use_natural_foreign_keys=True)
            last = page[-1].pk
            progress("rows", len(page))
        text.flush()
        size = tmp.tell()
        tmp.seek(0)
        info = tarfile.TarInfo(f"database/{model._meta.label_lower}.jsonl")
        info.size = size
        info.mode = 0o600
        tar.addfile(info, tmp)
        text.detach()


def read_manifest(source: Path) -> Manifest:
    try:
        with tarfile.open(source, "r:gz") as tar:
            data = json.loads(tar.extractfile(tar.getmember("manifest.json")).read())
    except (tarfile.TarError, KeyError, ValueError, OSError):
        data = {}
    if data.get("format") != FORMAT:
        raise UserError(
            _("%(file)s is not a jiceng backup this version can read.") % {"file": source}
        )
    return Manifest(**data)


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise UserError(_("Unsafe path in the archive: %(p)s") % {"p": name})
    return path


def deployment_holds_data() -> list[str]:
    """What the target deployment already holds (empty list: it is empty)."""
    found = [
        f"{m._meta.label_lower}: {n}" for m in backed_up_models() if (n := m._base_manager.count())
    ]
    for label, root in (
        ("analytics", Path(settings.JICENG_ANALYTICS_DIR)),
        ("media", Path(settings.MEDIA_ROOT)),
    ):
        if root.is_dir() and any(p.is_file() for p in root.rglob("*")):
            found.append(f"{label}: {root}")
    return found


def _wipe() -> None:
    call_command("flush", interactive=False, verbosity=0)
    for root in (Path(settings.JICENG_ANALYTICS_DIR), Path(settings.MEDIA_ROOT)):
        if root.is_dir():
            shutil.rmtree(root)


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)


def restore_backup(source: Path, *, force: bool = False, progress: Progress = _quiet) -> Manifest:
    """Restore ``source`` into this (empty) deployment; ``force`` wipes a non-empty one first."""
    manifest = read_manifest(source)
    call_command("migrate", interactive=False, verbosity=0)
    unknown = {
        f"{app}.{name}"
        for app, names in manifest.migrations.items()
        for name in names
        if name not in _migrations().get(app, [])
    }
    if unknown:
        raise UserError(
            _("The backup comes from a newer jiceng (migrations %(names)s); upgrade first.")
            % {"names": ", ".join(sorted(unknown)[:5])}
        )
    held = deployment_holds_data()
    if held and not force:
        raise UserError(
            _("This deployment is not empty (%(what)s); restore refused. Use --force to wipe it.")
            % {"what": "; ".join(held[:5])}
        )
    if held:
        _wipe()
    analytics_root = Path(settings.JICENG_ANALYTICS_DIR)
    media_root = Path(settings.MEDIA_ROOT)
    loaded: set[type[Model]] = set()
    with tarfile.open(source, "r:gz") as tar:
        with transaction.atomic(), connection.constraint_checks_disabled():
            deferred = []
            for member in tar:
                name = _safe_name(member.name)
                if name.parts[0] != "database" or not member.isfile():
                    continue
                stream = io.TextIOWrapper(tar.extractfile(member), encoding="utf-8")
                for obj in serializers.deserialize("jsonl", stream, handle_forward_references=True):
                    obj.save()
                    loaded.add(type(obj.object))
                    if obj.deferred_fields:
                        deferred.append(obj)
                    progress("rows", 1)
            for obj in deferred:
                obj.save_deferred_fields()
            connection.check_constraints(table_names=[m._meta.db_table for m in loaded])
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(loaded)):
                cursor.execute(sql)
    with tarfile.open(source, "r:gz") as tar:
        for member in tar:
            name = _safe_name(member.name)
            if name.parts[0] not in ("analytics", "media") or len(name.parts) < 2:
                continue
            if not member.isfile():
                continue
            root = analytics_root if name.parts[0] == "analytics" else media_root
            dest = root.joinpath(*name.parts[1:])
            for parent in reversed(dest.relative_to(root).parents):
                _private_dir(root / parent)
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(tar.extractfile(member), out)
            progress("files", 1)
    _repoint_record_sets(manifest.analytics_dir, str(analytics_root.resolve()))
    return manifest


def _repoint_record_sets(old_root: str, new_root: str) -> None:
    """Record sets keep absolute paths into the analytics store: move them to this one."""
    from jiceng.indicators.models import RecordSet

    for rs in RecordSet.objects.all():
        changed = []
        for name in ("store_path", "rejects_path"):
            value = getattr(rs, name)
            if value and old_root and value.startswith(old_root + os.sep):
                setattr(rs, name, new_root + value[len(old_root) :])
                changed.append(name)
        if changed:
            rs.save(update_fields=changed)
