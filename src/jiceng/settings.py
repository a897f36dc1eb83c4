"""Django settings, read from environment variables with safe defaults.

Everything a deployment changes is an environment variable prefixed ``JICENG_``
(or ``DATABASE_URL``); the defaults run the platform on SQLite under ``var/``.
"""

import os
import sys
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent
# Files and folders this process creates (secret key, databases, uploads, evidence, rejects,
# logs under var/) are readable by its own user only: 0600 / 0700.
os.umask(0o077)
VAR_DIR = Path(os.environ.get("JICENG_VAR_DIR", Path.cwd() / "var")).resolve()
if (_xdist_worker := os.environ.get("PYTEST_XDIST_WORKER")) and "pytest" in sys.modules:
    # Parallel test workers each keep their own files (record sets, uploads), as they keep their
    # own database; processes a test starts inherit the variable but not pytest, and keep theirs.
    VAR_DIR = VAR_DIR / _xdist_worker
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """The deployment secret: from the environment, else generated once under var/."""
    if key := os.environ.get("JICENG_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        import secrets

        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = _secret_key()
DEBUG = _env_bool("JICENG_DEBUG", False)
ALLOWED_HOSTS = _env_list("JICENG_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = _env_list("JICENG_CSRF_TRUSTED_ORIGINS")

# HTTPS (docs/deployment.md). JICENG_HTTPS=1 says the site is reached only over HTTPS and
# turns on the redirect, secure cookies and a one-year HSTS; each can be set on its own.
_HTTPS = _env_bool("JICENG_HTTPS", False)
SECURE_SSL_REDIRECT = _env_bool("JICENG_SECURE_SSL_REDIRECT", _HTTPS)
SECURE_HSTS_SECONDS = int(
    os.environ.get("JICENG_SECURE_HSTS_SECONDS", "31536000" if _HTTPS else "0")
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("JICENG_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = _env_bool("JICENG_SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = _env_bool("JICENG_SESSION_COOKIE_SECURE", _HTTPS)
CSRF_COOKIE_SECURE = _env_bool("JICENG_CSRF_COOKIE_SECURE", _HTTPS)
# Behind a reverse proxy that terminates HTTPS: "HTTP_X_FORWARDED_PROTO,https" (the header
# as Django names it, and the value that means HTTPS). Only set it when the proxy overwrites
# that header on every request.
if _proxy_header := _env_list("JICENG_SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (_proxy_header[0], _proxy_header[1])
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = os.environ.get("JICENG_REFERRER_POLICY", "same-origin")
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy sent with every answer (jiceng.core.csp): scripts and style sheets
# from the site only, no inline <script>, handler or <style>. Style *attributes* are allowed:
# ECharts positions its canvas and tooltip with them (our templates use none).
JICENG_CONTENT_SECURITY_POLICY = os.environ.get(
    "JICENG_CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
)

# Sessions suited to shared office computers: the login ends when the browser closes, after
# JICENG_SESSION_IDLE_MINUTES without a request (0: never) and at the latest
# JICENG_SESSION_HOURS after signing in (jiceng.core.sessions).
SESSION_COOKIE_AGE = int(float(os.environ.get("JICENG_SESSION_HOURS", "8")) * 3600)
JICENG_SESSION_IDLE_SECONDS = int(float(os.environ.get("JICENG_SESSION_IDLE_MINUTES", "120")) * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = _env_bool("JICENG_SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "jiceng.core",
    "jiceng.accounts",
    "jiceng.orgs",
    "jiceng.standards",
    "jiceng.assessments",
    "jiceng.rectification",
    "jiceng.indicators",
    "jiceng.aggregates",
    "jiceng.maps",
    "jiceng.appraisal",
    "jiceng.reports",
    "jiceng.insights",
    "jiceng.surveys",
]

MIDDLEWARE = [
    "jiceng.core.busy.DatabaseBusyMiddleware",  # first: a locked database answers 503
    "django.middleware.security.SecurityMiddleware",
    # Under /api/ every error answer is JSON, including 404/405/500 raised outside the API.
    "jiceng.api.middleware.ApiJsonErrorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language is the user's choice (简体中文 by default), not the browser's setting.
    "jiceng.core.middleware.ChosenLanguageOnlyMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "jiceng.core.sessions.SessionLimitsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "jiceng.core.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "jiceng.urls"
WSGI_APPLICATION = "jiceng.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jiceng.core.context_processors.navigation",
            ],
        },
    },
]

# PostgreSQL (DATABASE_URL) in production; SQLite under var/ for the demo, a single office
# and tests. See docs/database.md.
_database_url = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'jiceng.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        _database_url,
        # Persistent connections (seconds) on PostgreSQL; SQLite connections are cheap.
        conn_max_age=int(
            os.environ.get(
                "JICENG_DB_CONN_MAX_AGE", "0" if _database_url.startswith("sqlite") else "60"
            )
        ),
        conn_health_checks=_env_bool("JICENG_DB_CONN_HEALTH_CHECKS", True),
    )
}
if test_name := os.environ.get("JICENG_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": test_name}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL: readers never wait for the writer; IMMEDIATE: a writing transaction takes the
    # lock when it starts, so it waits (up to the timeout) instead of failing half-way.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": float(os.environ.get("JICENG_SQLITE_TIMEOUT", "20")),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A statement waiting longer than this for a lock gives up (answered 503, not 500).
    if lock_ms := os.environ.get("JICENG_PG_LOCK_TIMEOUT_MS", "20000"):
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "options", f"-c lock_timeout={lock_ms}"
        )

# Cache of what pages recompute (home panels, progress, published lists), per region, dropped
# by the writes that change it (jiceng.core.pagecache, docs/deployment.md). By default files
# under var/cache, shared by every server process; JICENG_CACHE_BACKEND/JICENG_CACHE_LOCATION
# choose another (e.g. django.core.cache.backends.redis.RedisCache, redis://127.0.0.1:6379/1,
# or django.core.cache.backends.locmem.LocMemCache: each process its own, in memory).
CACHES = {
    "default": {
        "BACKEND": os.environ.get(
            "JICENG_CACHE_BACKEND", "django.core.cache.backends.filebased.FileBasedCache"
        ),
        "LOCATION": os.environ.get("JICENG_CACHE_LOCATION", str(VAR_DIR / "cache")),
        "TIMEOUT": 600,
    }
}
if CACHES["default"]["BACKEND"].rsplit(".", 1)[0] in {
    "django.core.cache.backends.locmem",
    "django.core.cache.backends.filebased",
    "django.core.cache.backends.db",
}:
    CACHES["default"]["OPTIONS"] = {
        "MAX_ENTRIES": int(os.environ.get("JICENG_CACHE_MAX_ENTRIES", "3000"))
    }
JICENG_PAGE_CACHE_SECONDS = int(os.environ.get("JICENG_PAGE_CACHE_SECONDS", "600"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Password logins are throttled per account and per client address, bad API tokens per
# address (jiceng.accounts.throttle, docs/login-security.md).
AUTHENTICATION_BACKENDS = ["jiceng.accounts.backends.ThrottledModelBackend"]
JICENG_LOGIN_MAX_FAILURES = int(os.environ.get("JICENG_LOGIN_MAX_FAILURES", "5"))
JICENG_LOGIN_MAX_FAILURES_PER_ADDRESS = int(
    os.environ.get("JICENG_LOGIN_MAX_FAILURES_PER_ADDRESS", "20")
)
JICENG_TOKEN_MAX_FAILURES_PER_ADDRESS = int(
    os.environ.get("JICENG_TOKEN_MAX_FAILURES_PER_ADDRESS", "20")
)
JICENG_LOGIN_WINDOW_SECONDS = int(os.environ.get("JICENG_LOGIN_WINDOW_SECONDS", "900"))
JICENG_LOGIN_LOCK_SECONDS = int(os.environ.get("JICENG_LOGIN_LOCK_SECONDS", "300"))
JICENG_LOGIN_MAX_LOCK_SECONDS = int(os.environ.get("JICENG_LOGIN_MAX_LOCK_SECONDS", "86400"))
# Number of reverse proxies in front that append to X-Forwarded-For (0: use REMOTE_ADDR).
JICENG_TRUSTED_PROXIES = int(os.environ.get("JICENG_TRUSTED_PROXIES", "0"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale", PACKAGE_DIR / "api" / "locale"]  # api is no app
TIME_ZONE = os.environ.get("JICENG_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("JICENG_STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
# Static files: `jiceng serve` runs collectstatic into var/static, which writes every file
# under a content-hashed name (plus .gz/.br copies); whitenoise serves those with a
# one-year, immutable max-age. Tests use the plain storage (tests/conftest.py).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Static files are public: a reverse proxy may serve them (the umask would hide them).
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}
WHITENOISE_MAX_AGE = 0 if DEBUG else 3600  # files without a hash in their name
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Uploads: the largest file (evidence, Excel) the platform accepts, in bytes.
JICENG_MAX_UPLOAD_BYTES = int(os.environ.get("JICENG_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = JICENG_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Excel uploads: checked before a sheet is read (docs/excel-templates.md, "Limits").
JICENG_XLSX_MAX_ROWS = int(os.environ.get("JICENG_XLSX_MAX_ROWS", "500000"))
JICENG_XLSX_MAX_COLS = int(os.environ.get("JICENG_XLSX_MAX_COLS", "256"))
JICENG_XLSX_MAX_CELLS = int(os.environ.get("JICENG_XLSX_MAX_CELLS", "10000000"))
JICENG_XLSX_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("JICENG_XLSX_MAX_UNCOMPRESSED_BYTES", str(200 * 1024 * 1024))
)
JICENG_XLSX_MAX_RATIO = int(os.environ.get("JICENG_XLSX_MAX_RATIO", "100"))
JICENG_XLSX_MAX_MEMBERS = int(os.environ.get("JICENG_XLSX_MAX_MEMBERS", "2000"))

# Analytics store: DuckDB files live here, one per record set.
JICENG_ANALYTICS_DIR = Path(os.environ.get("JICENG_ANALYTICS_DIR", VAR_DIR / "analytics"))
# Secret for the keyed hash of personal identifiers (id_number); defaults to SECRET_KEY.
JICENG_PII_KEY = os.environ.get("JICENG_PII_KEY", SECRET_KEY)
# A province's own immunization schedule (YAML: vaccine -> {dose: due months}); empty: the
# national programme of 2021. See docs/indicators.md.
JICENG_IMMUNIZATION_SCHEDULE = os.environ.get("JICENG_IMMUNIZATION_SCHEDULE", "")

# Background jobs: a running job beats; with no beat for this long its worker is dead.
JICENG_JOB_LEASE_SECONDS = int(os.environ.get("JICENG_JOB_LEASE_SECONDS", "120"))
# How long the ZIP of a load interrupted by a dead worker is kept for a retry.
JICENG_UPLOAD_RETRY_HOURS = float(os.environ.get("JICENG_UPLOAD_RETRY_HOURS", "24"))

TASKS = {
    "default": {
        "BACKEND": os.environ.get("JICENG_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_id_numbers": {"()": "jiceng.core.pii.MaskingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_id_numbers"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("JICENG_LOG_LEVEL", "WARNING")},
}
