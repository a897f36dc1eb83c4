"""Files and folders jiceng creates under var/ are its own user's only (0600 / 0700)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.slow
def test_a_fresh_deployment_creates_a_private_var_folder(tmp_path):
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JICENG_SECRET_KEY")}
    env.update(JICENG_VAR_DIR=str(var), JICENG_TEST_DB_NAME="")
    old = os.umask(0o022)  # a typical login umask; jiceng must not rely on it
    try:
        subprocess.run(
            [sys.executable, "-m", "jiceng", "migrate", "--no-input", "-v", "0"],
            env=env,
            check=True,
            timeout=300,
        )
    finally:
        os.umask(old)
    assert mode(var) == 0o700
    assert mode(var / "secret_key") == 0o600
    assert mode(var / "jiceng.sqlite3") == 0o600
    assert all(mode(p) & 0o077 == 0 for p in var.rglob("*") if "static" not in p.parts)


def test_uploaded_evidence_is_stored_private(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    name = default_storage.save("evidence/2025/a/b.pdf", ContentFile(b"%PDF-1.4"))
    path = tmp_path / "media" / name
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700 and mode(tmp_path / "media" / "evidence") == 0o700


def test_this_process_creates_files_private(tmp_path):
    (tmp_path / "x").write_text("x")
    (tmp_path / "d").mkdir()
    assert mode(tmp_path / "x") == 0o600 and mode(tmp_path / "d") == 0o700
