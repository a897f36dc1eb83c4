"""`jiceng check --deploy` with the documented production environment reports nothing.

The environment is read from deploy/jiceng.env.example, the file docs/deployment.md tells
operators to copy, so the documentation and this test cannot drift apart.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / "deploy" / "jiceng.env.example"


def documented_environment() -> dict[str, str]:
    env = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    return env


def clean_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any JICENG_*/DJANGO_* setting of the test run."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JICENG_", "DJANGO_")) and k != "DATABASE_URL"
    }
    env["PYTHONPATH"] = str(ROOT / "src")
    env["JICENG_VAR_DIR"] = str(tmp_path / "var")
    env.update(extra)
    return env


def run_jiceng(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jiceng", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deploy_check_reports_nothing_with_the_documented_production_variables(tmp_path):
    env = clean_environment(tmp_path)
    env.update(documented_environment())
    env["JICENG_VAR_DIR"] = str(tmp_path / "var")  # not /var/lib/jiceng on the test machine

    result = run_jiceng(env, "check", "--deploy", "--fail-level", "WARNING")

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output, output


def test_the_deploy_check_still_warns_about_plain_http_without_those_variables(tmp_path):
    env = clean_environment(tmp_path, JICENG_DEBUG="0")

    result = run_jiceng(env, "check", "--deploy")

    output = result.stdout + result.stderr
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in output, output


SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in %r}, default=str))
"""


FROM_ENVIRONMENT = [
    # variable, value, Django setting, the value it must take
    ("JICENG_SECURE_SSL_REDIRECT", "1", "SECURE_SSL_REDIRECT", True),
    ("JICENG_SECURE_HSTS_SECONDS", "600", "SECURE_HSTS_SECONDS", 600),
    ("JICENG_SECURE_HSTS_INCLUDE_SUBDOMAINS", "1", "SECURE_HSTS_INCLUDE_SUBDOMAINS", True),
    ("JICENG_SECURE_HSTS_PRELOAD", "1", "SECURE_HSTS_PRELOAD", True),
    ("JICENG_SESSION_COOKIE_SECURE", "1", "SESSION_COOKIE_SECURE", True),
    ("JICENG_CSRF_COOKIE_SECURE", "1", "CSRF_COOKIE_SECURE", True),
    (
        "JICENG_SECURE_PROXY_SSL_HEADER",
        "HTTP_X_FORWARDED_PROTO,https",
        "SECURE_PROXY_SSL_HEADER",
        ["HTTP_X_FORWARDED_PROTO", "https"],
    ),
    ("JICENG_ALLOWED_HOSTS", "a.example, b.example", "ALLOWED_HOSTS", ["a.example", "b.example"]),
    (
        "JICENG_CSRF_TRUSTED_ORIGINS",
        "https://a.example",
        "CSRF_TRUSTED_ORIGINS",
        ["https://a.example"],
    ),
    ("JICENG_REFERRER_POLICY", "no-referrer", "SECURE_REFERRER_POLICY", "no-referrer"),
    ("JICENG_SESSION_HOURS", "2", "SESSION_COOKIE_AGE", 7200),
    ("JICENG_SESSION_IDLE_MINUTES", "30", "JICENG_SESSION_IDLE_SECONDS", 1800),
    ("JICENG_SESSION_EXPIRE_AT_BROWSER_CLOSE", "0", "SESSION_EXPIRE_AT_BROWSER_CLOSE", False),
    (
        "JICENG_CONTENT_SECURITY_POLICY",
        "default-src 'none'",
        "JICENG_CONTENT_SECURITY_POLICY",
        "default-src 'none'",
    ),
    ("JICENG_STATIC_ROOT", "/tmp/jiceng-static-x", "STATIC_ROOT", "/tmp/jiceng-static-x"),
]


def test_each_https_cookie_and_session_setting_is_read_from_the_environment(tmp_path):
    env = clean_environment(
        tmp_path,
        DJANGO_SETTINGS_MODULE="jiceng.settings",
        **{variable: value for variable, value, _, _ in FROM_ENVIRONMENT},
    )
    names = [setting for _, _, setting, _ in FROM_ENVIRONMENT]

    result = subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS % (names,)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert {s: seen[s] for s in names} == {s: expected for _, _, s, expected in FROM_ENVIRONMENT}


def test_without_https_variables_the_settings_stay_usable_on_plain_http(tmp_path):
    names = [
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
    ]
    env = clean_environment(tmp_path, DJANGO_SETTINGS_MODULE="jiceng.settings")

    result = subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS % (names,)], env=env, capture_output=True, text=True
    )

    assert json.loads(result.stdout) == dict.fromkeys(names, False) | {"SECURE_HSTS_SECONDS": 0}
