"""Settings, read from the environment. Embedded defaults: SQLite under var/, no secrets committed."""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("RAPPORT_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    # Production passes SECRET_KEY; the embedded mode keeps a generated one under var/.
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves the API docs page's assets locally (no CDN)
    "django_tasks_db",
    "crontask",  # `rapport crontask`: enqueues the scheduled tasks (cron syntax) for the workers
    "rapport.core",
    "rapport.staff",
    "rapport.customers",
    "rapport.sales",
    "rapport.communications",
    "rapport.imports",
    "rapport.api",
    "rapport.demo",
    "rapport.analytics",
    "rapport.portal",
    "rapport.outreach",
    "rapport.loyalty",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "rapport.urls"
WSGI_APPLICATION = "rapport.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "rapport" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rapport.core.context_processors.navigation",
                "rapport.portal.context_processors.portal",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'rapport.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server and the task worker read while one writes.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA cache_size=-64000; PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file next to the database (test_<name>), so runs with different DATABASE_URLs
    # never share one.
    _db_file = Path(DATABASES["default"]["NAME"])
    DATABASES["default"]["TEST"] = {"NAME": str(_db_file.with_name(f"test_{_db_file.name}"))}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Django's ModelBackend, with each request's permission check in one query (rapport/staff/backends.py).
AUTHENTICATION_BACKENDS = ["rapport.staff.backends.StaffBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
    ("zh-hant", _("Traditional Chinese")),
    ("sk", _("Slovak")),
]
LOCALE_PATHS = [BASE_DIR / "rapport" / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing directory before collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024

# Rate limits and other counters shared by every web process: a table in the database by default
# (`rapport createcachetable`), or Redis with CACHE_URL=redis://host:6379/1.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CACHE_URL"],
        }
        if os.environ.get("CACHE_URL", "").startswith("redis")
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "rapport_cache",
        }
    )
}
RAPPORT_TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free header set in base.html
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"


def _mailer(url: str) -> dict:
    """EMAIL_URL: smtp://user:password@host:587?tls=1, smtps://…, console:, or file:/path."""
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme in ("smtp", "smtps"):
        query = parse_qs(parts.query)
        return {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": parts.hostname or "localhost",
                "port": parts.port or (465 if parts.scheme == "smtps" else 25),
                "username": unquote(parts.username or ""),
                "password": unquote(parts.password or ""),
                "use_ssl": parts.scheme == "smtps",
                "use_tls": query.get("tls", ["0"])[0] in ("1", "true"),
                "timeout": 20,
            },
        }
    if parts.scheme == "console":
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    # The embedded default: mail is written to files under var/sent-mail for the operator to read.
    path = parts.path if parts.scheme == "file" and parts.path else str(VAR_DIR / "sent-mail")
    return {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": path},
    }


MAILERS = {"default": _mailer(os.environ.get("EMAIL_URL", "file:"))}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "rapport@localhost")

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Scheduled tasks: one `rapport crontask` process enqueues them. With several machines, give the
# schedulers a Redis lock (`pip install redis`) so only one of them enqueues.
CRONTASK = {"REDIS_URL": os.environ.get("RAPPORT_SCHEDULER_REDIS_URL") or None}
# When the nightly analytics refresh runs (crontab syntax, server time zone; literal weekdays).
RAPPORT_ANALYTICS_REFRESH_CRON = os.environ.get("RAPPORT_ANALYTICS_REFRESH_CRON", "30 2 * * *")
# What customer lifetime value counts: "revenue" (the default) or the gross "margin" on it.
RAPPORT_ANALYTICS_CLV_BASIS = os.environ.get("RAPPORT_ANALYTICS_CLV_BASIS", "revenue")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # The scheduler logs each run of its lock keeper (every 5 s) at INFO.
    "loggers": {"apscheduler": {"level": "WARNING"}},
}

# Rapport's own settings.
RAPPORT_DEFAULT_REGION = os.environ.get(
    "RAPPORT_DEFAULT_REGION", "CN"
)  # for national phone numbers
RAPPORT_CURRENCY = os.environ.get("RAPPORT_CURRENCY", "CNY")
RAPPORT_IMPORT_BACKGROUND_ROWS = int(os.environ.get("RAPPORT_IMPORT_BACKGROUND_ROWS", "2000"))
RAPPORT_PAGE_SIZE = 50
# How long after a merge a manager may still undo it.
RAPPORT_MERGE_UNDO_DAYS = int(os.environ.get("RAPPORT_MERGE_UNDO_DAYS", "30"))
# The address customers reach Rapport at, for the links in their mail (private links, surveys).
RAPPORT_PUBLIC_URL = os.environ.get("RAPPORT_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# Keeping in touch (rapport.outreach): messages per second per sending worker and channel (empty:
# as fast as the mail server takes them), and the secret a provider's bounce webhook must send.
RAPPORT_OUTREACH_THROTTLE = {
    k: float(v)
    for k, v in (
        p.split("=") for p in os.environ.get("RAPPORT_OUTREACH_THROTTLE", "").split(",") if "=" in p
    )
}
RAPPORT_OUTREACH_WEBHOOK_SECRET = os.environ.get("RAPPORT_OUTREACH_WEBHOOK_SECRET", "")
# Membership and loyalty (rapport.loyalty): points per unit of money spent (PointsRule overrides
# it per product or category), how long earned points stay valid (0: for ever), and the points
# both the referrer and the referred customer get when the referred customer's first order is paid.
RAPPORT_LOYALTY_POINTS_PER_UNIT = float(os.environ.get("RAPPORT_LOYALTY_POINTS_PER_UNIT", "1"))
RAPPORT_LOYALTY_POINTS_VALID_DAYS = int(os.environ.get("RAPPORT_LOYALTY_POINTS_VALID_DAYS", "730"))
RAPPORT_LOYALTY_REFERRAL_POINTS = int(os.environ.get("RAPPORT_LOYALTY_REFERRAL_POINTS", "200"))
