"""Django settings, read from environment variables with safe defaults.

Everything a deployment changes is an environment variable prefixed ``JICENG_``
(or ``DATABASE_URL``); the defaults run the platform on SQLite under ``var/``.
"""

import os
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("JICENG_VAR_DIR", Path.cwd() / "var")).resolve()
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


SECRET_KEY = _secret_key()
DEBUG = _env_bool("JICENG_DEBUG", False)
ALLOWED_HOSTS = os.environ.get("JICENG_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("JICENG_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language is the user's choice (简体中文 by default), not the browser's setting.
    "jiceng.core.middleware.ChosenLanguageOnlyMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'jiceng.sqlite3'}"),
        conn_max_age=int(os.environ.get("JICENG_DB_CONN_MAX_AGE", "0")),
    )
}
if test_name := os.environ.get("JICENG_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": test_name}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

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
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing root
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

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

TASKS = {
    "default": {
        "BACKEND": os.environ.get("JICENG_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("JICENG_LOG_LEVEL", "WARNING")},
}
