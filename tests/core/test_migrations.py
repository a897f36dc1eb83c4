"""The migrations describe the models exactly.

The test databases are created from the models (pytest-django's ``--no-migrations``, set in
``pyproject.toml``: applying 64 migrations costs each test process about 10 s of CPU), so this
test is what ties the two together: a model changed without its migration fails here. It runs
``makemigrations`` in a process of its own, where the migrations are not switched off. The
migrations themselves are applied on empty databases by the tests that start ``jiceng migrate``
the same way (``test_var_modes.py``, ``test_serve.py``, ``test_worker_killed.py``).
"""

import os
import subprocess
import sys


def test_no_model_change_lacks_its_migration(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTEST_XDIST_WORKER")}
    env["JICENG_VAR_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "jiceng", "makemigrations", "--check", "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"missing migrations:\n{done.stdout}{done.stderr}"
    assert "No changes detected" in done.stdout
