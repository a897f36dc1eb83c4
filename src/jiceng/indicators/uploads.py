"""Uploaded record sets: unpack a ZIP of tables safely into a directory of its own."""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.errors import Problem, UserError, ValidationFailed

TABLES = (
    "orgs",
    "population",
    "residents",
    "conditions",
    "followups",
    "exams",
    "services",
    "contracts",
    "pregnancies",
    "vaccinations",
)
# Tables an upload cannot do without; the others may be missing.
REQUIRED = ("population", "residents")
TABLE_LABELS = {
    "orgs": gettext_lazy("organisation units"),
    "population": gettext_lazy("population"),
    "residents": gettext_lazy("residents"),
    "conditions": gettext_lazy("chronic disease registrations"),
    "followups": gettext_lazy("follow-ups"),
    "exams": gettext_lazy("health examinations"),
    "services": gettext_lazy("services"),
    "contracts": gettext_lazy("family-doctor contracts"),
    "pregnancies": gettext_lazy("pregnancy registrations"),
    "vaccinations": gettext_lazy("vaccinations"),
}


def table_label(name: str) -> str:
    return str(TABLE_LABELS.get(name, name))


def table_order(name: str) -> int:
    return TABLES.index(name) if name in TABLES else len(TABLES)


SUFFIXES = (".csv", ".xlsx", ".parquet")
# A ZIP may not unpack to more than this many times the upload limit.
MAX_EXPANSION = 50


def uploads_root() -> Path:
    return Path(settings.JICENG_ANALYTICS_DIR) / "uploads"


def upload_dir(pk: int) -> Path:
    """Where the files of uploaded record set ``pk`` wait for the load (and its rejects)."""
    return uploads_root() / str(pk)


def zip_path(pk: int) -> Path:
    return upload_dir(pk) / "upload.zip"


def tables_dir(pk: int) -> Path:
    return upload_dir(pk) / "tables"


def rejects_path(pk: int) -> Path:
    return upload_dir(pk) / "rejects.csv"


def receive(f, filename: str) -> Path:
    """Write an uploaded file to a private temporary file; all of it, or nothing and an error.

    A full disk (or any other write error) removes the partial file and raises UserError.
    """
    root = uploads_root()
    tmp: Path | None = None
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".incoming-", suffix=".zip", dir=root)
        tmp = Path(name)
        with os.fdopen(fd, "wb") as out:
            f.seek(0)
            for chunk in f.chunks():
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except OSError as e:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise UserError(
            _(
                "The server could not store %(file)s (%(error)s); nothing was kept. "
                "Try again later, or ask the administrator to free disk space."
            )
            % {"file": filename, "error": e.strerror or e}
        ) from e
    return tmp


def adopt(tmp: Path, pk: int) -> Path:
    """Move a received file into place as the upload of record set ``pk``."""
    dest = zip_path(pk)
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, dest)
    return dest


def discard(pk: int, *, keep_zip: bool = False) -> None:
    """Delete the upload of ``pk`` and its unpacked tables (the rejects file stays)."""
    shutil.rmtree(tables_dir(pk), ignore_errors=True)
    if not keep_zip:
        zip_path(pk).unlink(missing_ok=True)
    folder = upload_dir(pk)
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def table_members(zf: zipfile.ZipFile, filename: str) -> dict[str, zipfile.ZipInfo]:
    """Table name → member of the ZIP; problems (file named) if the archive is not usable."""
    problems: list[Problem] = []
    found: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in zf.infolist():
        if info.is_dir():
            continue
        p = PurePosixPath(info.filename)
        if p.is_absolute() or ".." in p.parts or info.filename.startswith("\\"):
            problems.append(
                Problem(_("Unsafe path in the archive: %(p)s") % {"p": info.filename}, filename)
            )
            continue
        if p.name.startswith(".") or "__MACOSX" in p.parts:
            continue
        stem, suffix = p.stem.lower(), p.suffix.lower()
        if stem in TABLES and suffix in SUFFIXES:
            if stem in found:
                problems.append(
                    Problem(
                        _("Table %(t)s appears twice in the archive (%(a)s, %(b)s).")
                        % {"t": stem, "a": found[stem].filename, "b": info.filename},
                        filename,
                    )
                )
            found[stem] = info
            total += info.file_size
    limit = settings.JICENG_MAX_UPLOAD_BYTES * MAX_EXPANSION
    if total > limit:
        problems.append(
            Problem(
                _("The archive unpacks to more than %(mb)d MB.") % {"mb": limit // 2**20}, filename
            )
        )
    for required in REQUIRED:
        if required not in found:
            problems.append(
                Problem(
                    _("The archive has no %(t)s table (%(t)s.csv, .xlsx or .parquet).")
                    % {"t": required},
                    filename,
                )
            )
    if problems:
        raise ValidationFailed(problems)
    return found


def unpack(zip_file, dest: Path, filename: str = "upload.zip") -> list[str]:
    """Check and unpack the tables of an uploaded ZIP (path or file object) into ``dest``."""
    try:
        zf = zipfile.ZipFile(zip_file)
    except (zipfile.BadZipFile, OSError) as e:
        raise ValidationFailed(
            [Problem(_("The file is not a readable ZIP archive."), filename)]
        ) from e
    with zf:
        members = table_members(zf, filename)
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        try:
            for name, info in members.items():
                target = dest / f"{name}{PurePosixPath(info.filename).suffix.lower()}"
                with zf.open(info) as src, target.open("wb") as out:
                    shutil.copyfileobj(src, out, 1024 * 1024)
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True)  # no partial table is left behind
            raise
    return sorted(members)
