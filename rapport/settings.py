"""Settings, read from the environment. Embedded defaults: SQLite under var/, no secrets committed."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
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
    "axes",  # login lock-out after repeated wrong passwords (by account and by address)
    "anymail",  # mail providers' APIs and their tracking webhooks (EMAIL_URL=anymail:<provider>)
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
    "rapport.privacy",
    "rapport.recommendations",
    "rapport.dedupe",
    "rapport.surveys",
    "rapport.service",
    "rapport.complaints",
    "rapport.outreach",
    "rapport.loyalty",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "rapport.core.middleware.IdleSessionMiddleware",  # logs out after RAPPORT_SESSION_IDLE_MINUTES
    "rapport.core.middleware.InvalidInputMiddleware",  # 400/409 naming the field, never a 500
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # answers a locked-out login with 429 (keep it last)
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
                "django.template.context_processors.csp",  # {{ csp_nonce }} for inline scripts
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
# The lock-out check comes first (rapport/staff/backends.py, django-axes).
AUTHENTICATION_BACKENDS = [
    "rapport.staff.backends.LockoutBackend",
    "rapport.staff.backends.StaffBackend",
]
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
# The first handler stops an upload at RAPPORT_IMPORT_MAX_UPLOAD_MB while it arrives
# (rapport.core.uploads); the others are Django's.
FILE_UPLOAD_HANDLERS = [
    "rapport.core.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
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
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Deployment hardening (README, "Security and deployment"). HTTPS=true — the default when
# RAPPORT_PUBLIC_URL starts with https:// — turns on secure cookies, the redirect to HTTPS and
# HSTS; each can be set on its own from the environment.
HTTPS = env_bool("HTTPS", os.environ.get("RAPPORT_PUBLIC_URL", "").startswith("https://"))
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", HTTPS)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_REDIRECT_EXEMPT = env_list("SECURE_REDIRECT_EXEMPT", "")  # e.g. ^health/$ for a probe
SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600 if HTTPS else 0)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", HTTPS)
# Behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto (only then: a client
# could otherwise claim HTTPS itself).
if env_bool("TRUST_X_FORWARDED_PROTO"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# How long a login lasts (hours), and whether closing the browser ends it.
SESSION_COOKIE_AGE = int(float(os.environ.get("SESSION_HOURS", "12")) * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
# A login with no request for this many minutes ends (0: only SESSION_HOURS ends it).
RAPPORT_SESSION_IDLE_MINUTES = int(os.environ.get("RAPPORT_SESSION_IDLE_MINUTES", "30"))
# Content-Security-Policy (Django's own middleware): scripts only from Rapport itself (an inline
# script needs the request's nonce), no plug-ins, no framing, forms post only to Rapport.
# CSP_REPORT_ONLY=true sends it as Content-Security-Policy-Report-Only to try a change first.
_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],  # style="" attributes and htmx's indicator style
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CSP_REPORT_ONLY = _CSP if env_bool("CSP_REPORT_ONLY") else {}
SECURE_CSP = {} if env_bool("CSP_REPORT_ONLY") else _CSP


def _mailer(url: str) -> dict:
    """EMAIL_URL: smtp://user:password@host:587?tls=1, smtps://…, console:, file:/path, or
    anymail:<provider> (django-anymail: amazon_ses, brevo, mailersend, mailgun, mailjet,
    mailtrap, mandrill, postal, postmark, resend, scaleway, sendgrid, sparkpost, unisender_go;
    its settings from ANYMAIL_* variables, below)."""
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme == "anymail":
        provider = parts.path.strip("/").lower()
        if not provider.replace("_", "").isalnum():
            raise ImproperlyConfigured(f"EMAIL_URL: {url!r} names no mail provider")
        return {"BACKEND": f"anymail.backends.{provider}.EmailBackend"}
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
# django-anymail's settings, each from the variable ANYMAIL_<NAME> (ANYMAIL_MAILGUN_API_KEY,
# ANYMAIL_POSTMARK_SERVER_TOKEN, …). ANYMAIL_WEBHOOK_SECRET ("user:password") turns on the
# providers' tracking webhooks under /public/anymail/<provider>/tracking/ (off without it).
ANYMAIL = {k.removeprefix("ANYMAIL_"): v for k, v in os.environ.items() if k.startswith("ANYMAIL_")}
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
# When the nightly recommendations refresh runs (after the analytics refresh).
RAPPORT_RECOMMENDATIONS_REFRESH_CRON = os.environ.get(
    "RAPPORT_RECOMMENDATIONS_REFRESH_CRON", "15 3 * * *"
)
# When the nightly duplicate search runs over all customers.
RAPPORT_DEDUPE_SEARCH_CRON = os.environ.get("RAPPORT_DEDUPE_SEARCH_CRON", "0 4 * * *")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A refused request (403, 404, 400…) is one line in the log, not a traceback.
    "filters": {"one_line_refusals": {"()": "rapport.core.logs.OneLineRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["one_line_refusals"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # The scheduler logs each run of its lock keeper (every 5 s) at INFO.
    "loggers": {"apscheduler": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Rapport's own settings.
RAPPORT_DEFAULT_REGION = os.environ.get(
    "RAPPORT_DEFAULT_REGION", "CN"
)  # for national phone numbers
RAPPORT_CURRENCY = os.environ.get("RAPPORT_CURRENCY", "CNY")
RAPPORT_IMPORT_BACKGROUND_ROWS = int(os.environ.get("RAPPORT_IMPORT_BACKGROUND_ROWS", "2000"))
# Import limits (README, "Security and deployment"): a file beyond one is refused with a message
# naming it. Web uploads are always read by the task worker, streamed.
RAPPORT_IMPORT_MAX_UPLOAD_MB = int(os.environ.get("RAPPORT_IMPORT_MAX_UPLOAD_MB", "50"))
RAPPORT_IMPORT_MAX_UNPACKED_MB = int(os.environ.get("RAPPORT_IMPORT_MAX_UNPACKED_MB", "500"))
RAPPORT_IMPORT_MAX_ROWS = int(os.environ.get("RAPPORT_IMPORT_MAX_ROWS", "1000000"))
RAPPORT_IMPORT_MAX_COLUMNS = int(os.environ.get("RAPPORT_IMPORT_MAX_COLUMNS", "200"))
RAPPORT_IMPORT_MAX_CELL_LENGTH = int(os.environ.get("RAPPORT_IMPORT_MAX_CELL_LENGTH", "10000"))
RAPPORT_PAGE_SIZE = 50
# How long after a merge a manager may still undo it.
RAPPORT_MERGE_UNDO_DAYS = int(os.environ.get("RAPPORT_MERGE_UNDO_DAYS", "30"))
# The address customers reach Rapport at, for the links in their mail (private links, surveys).
RAPPORT_PUBLIC_URL = os.environ.get("RAPPORT_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# Privacy (README, "Privacy: access, erasure, retention"): how long uploads, finished import jobs
# and the log of personal-data reads are kept, when the purge runs, and how many customers a day
# a user without the export permission may read through the API's customer list.
RAPPORT_RETENTION_IMPORT_FILES_DAYS = int(
    os.environ.get("RAPPORT_RETENTION_IMPORT_FILES_DAYS", "30")
)
RAPPORT_RETENTION_IMPORT_JOBS_DAYS = int(
    os.environ.get("RAPPORT_RETENTION_IMPORT_JOBS_DAYS", "180")
)
RAPPORT_RETENTION_READ_LOG_DAYS = int(os.environ.get("RAPPORT_RETENTION_READ_LOG_DAYS", "365"))
RAPPORT_PRIVACY_PURGE_CRON = os.environ.get("RAPPORT_PRIVACY_PURGE_CRON", "15 3 * * *")
RAPPORT_PRIVACY_LIST_DAILY_RECORDS = int(
    os.environ.get("RAPPORT_PRIVACY_LIST_DAILY_RECORDS", "1000")
)
# An import whose worker has not reported for this long is shown as stopped (its process ended).
RAPPORT_IMPORT_STALE_MINUTES = int(os.environ.get("RAPPORT_IMPORT_STALE_MINUTES", "10"))
# Throttling (README, "Security and deployment"). Logins: after RAPPORT_LOGIN_FAILURE_LIMIT wrong
# passwords for one account, or from one address, that account or address is locked out for
# RAPPORT_LOGIN_LOCKOUT_MINUTES (django-axes; `rapport axes_reset` unlocks at once).
AXES_FAILURE_LIMIT = int(os.environ.get("RAPPORT_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("RAPPORT_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "rapport.staff.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "rapport.core.ratelimit.client_address"
AXES_VERBOSE = False
# Password-reset mail: at most this many per hour to one address and from one client address.
RAPPORT_PASSWORD_RESET_PER_ADDRESS = int(os.environ.get("RAPPORT_PASSWORD_RESET_PER_ADDRESS", "3"))
RAPPORT_PASSWORD_RESET_PER_CLIENT = int(os.environ.get("RAPPORT_PASSWORD_RESET_PER_CLIENT", "10"))
# API requests per minute per token (and per browser session); 0 turns the limit off.
RAPPORT_API_REQUESTS_PER_MINUTE = int(os.environ.get("RAPPORT_API_REQUESTS_PER_MINUTE", "600"))
# Bounded customer records (refused beyond these, with a message naming the limit): phones,
# emails, addresses and tags per customer, and characters in a long text field (notes, hobbies…).
RAPPORT_CUSTOMER_MAX_PHONES = int(os.environ.get("RAPPORT_CUSTOMER_MAX_PHONES", "20"))
RAPPORT_CUSTOMER_MAX_EMAILS = int(os.environ.get("RAPPORT_CUSTOMER_MAX_EMAILS", "20"))
RAPPORT_CUSTOMER_MAX_ADDRESSES = int(os.environ.get("RAPPORT_CUSTOMER_MAX_ADDRESSES", "20"))
RAPPORT_CUSTOMER_MAX_TAGS = int(os.environ.get("RAPPORT_CUSTOMER_MAX_TAGS", "50"))
RAPPORT_CUSTOMER_TEXT_LENGTH = int(os.environ.get("RAPPORT_CUSTOMER_TEXT_LENGTH", "5000"))
# Complaints (rapport/complaints): deadline targets in working hours, the remedy amount above which
# a second, higher approval is needed, when the escalation sweep runs, and the inbound-mail secret.
RAPPORT_COMPLAINT_TARGETS = {
    "acknowledge": float(os.environ.get("RAPPORT_COMPLAINT_ACKNOWLEDGE_HOURS", "1")),
    "decide": float(os.environ.get("RAPPORT_COMPLAINT_DECIDE_HOURS", "8")),
    "resolve": float(os.environ.get("RAPPORT_COMPLAINT_RESOLVE_HOURS", "56")),
}
RAPPORT_COMPLAINT_SECOND_APPROVAL_ABOVE = float(
    os.environ.get("RAPPORT_COMPLAINT_SECOND_APPROVAL_ABOVE", "5000")
)
RAPPORT_COMPLAINT_ESCALATE_CRON = os.environ.get("RAPPORT_COMPLAINT_ESCALATE_CRON", "*/15 * * * *")
# When the complaints dashboard's summary (figures, per 1,000 units, repurchase) is recomputed.
RAPPORT_COMPLAINT_SUMMARY_CRON = os.environ.get("RAPPORT_COMPLAINT_SUMMARY_CRON", "*/15 * * * *")
RAPPORT_INBOUND_MAIL_SECRET = os.environ.get("RAPPORT_INBOUND_MAIL_SECRET", "")
# How long the link in a staff invitation works (the person chooses their password with it).
RAPPORT_INVITATION_DAYS = int(os.environ.get("RAPPORT_INVITATION_DAYS", "7"))
# Date formats of our own where Django's differ from how people write (Slovak month genitive).
FORMAT_MODULE_PATH = ["rapport.formats"]
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
