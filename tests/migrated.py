"""An SQLite database file migrated once per test process, copied for the tests that need one.

Applying the 68 migrations to an empty database takes ``jiceng migrate`` about 5 s of CPU
(rendering the models' states). The tests that run the platform as separate processes on a
file of their own (the task worker killed mid-load, the two writers, the production server)
are not about migrating: each gets a copy of one file migrated by ``jiceng migrate`` in a
subprocess, the first time a process asks. The tests that are about a fresh deployment
(``test_var_modes.py``, the restore of ``test_backup_restore.py``) still migrate themselves.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_SRC = Path(__file__).resolve().parents[1] / "src"
_template: Path | None = None


def _migrate_template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="jiceng-migrated-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JICENG_TEST_DB_NAME")}
    env.update(JICENG_VAR_DIR=str(folder), PYTHONPATH=str(_SRC))
    done = subprocess.run(
        [sys.executable, "-m", "jiceng", "migrate", "--no-input", "-v", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return folder / "jiceng.sqlite3"


def migrated_sqlite(dest: Path) -> Path:
    """Copy the migrated database to ``dest`` (a file path; its folder is created)."""
    global _template
    if _template is None or not _template.exists():
        _template = _migrate_template()
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_template, dest)
    return dest
