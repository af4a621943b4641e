"""Django settings for the KommoGEN site, read from the environment (12-factor).

Every value that differs between a laptop and production comes from one
environment variable with a documented default (see README, "Configuration").
"""

import base64
import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name, default):
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


DEBUG = env_bool("DJANGO_DEBUG", False)


def key_from_env_or_file(name, file_setting, file_name, advice, development_value):
    """A key from the environment, or else from the file `make run` generates once (so
    that manage.py commands work as README shows them). With neither, production refuses
    to start; a development machine (DJANGO_DEBUG) gets a fixed, public value."""
    path = Path(os.environ.get(file_setting) or VAR_DIR / file_name)
    value = os.environ.get(name, "") or (
        path.read_text(encoding="utf-8").strip() if path.is_file() else ""
    )
    if value or DEBUG:
        return value or development_value
    raise ImproperlyConfigured(f"{name} is not set, and there is no key file at {path}. {advice}")


# Django's own key: DJANGO_SECRET_KEY, or var/secret-key (KOMMOGEN_SECRET_KEY_FILE).
SECRET_KEY = key_from_env_or_file(
    "DJANGO_SECRET_KEY", "KOMMOGEN_SECRET_KEY_FILE", "secret-key",
    "Set it to a long random string (python3 -c 'import secrets; "
    "print(secrets.token_urlsafe(50))'), or set DJANGO_DEBUG=true on a development machine.",
    "insecure-development-key-never-use-in-production",
)  # fmt: skip

# The evidence key: the HMAC-SHA-256 key of the personal-data digests in the evidence
# chain. Kept outside the database (a dump alone cannot test a guessed phone number
# against a digest); KOMMOGEN_EVIDENCE_KEY, or var/evidence-key.
EVIDENCE_KEY = key_from_env_or_file(
    "KOMMOGEN_EVIDENCE_KEY", "KOMMOGEN_EVIDENCE_KEY_FILE", "evidence-key",
    "Generate one once and keep it with your backups "
    "(python3 -c 'import secrets; print(secrets.token_urlsafe(32))').",
    "insecure-development-evidence-key",
)  # fmt: skip

# The signing key: Ed25519, signs the evidence's checkpoints and receipts (C2SP signed
# notes). Its public half is published at /evidence/; whoever holds the private half can
# sign, so it is kept outside the database, like the evidence key. KOMMOGEN_SIGNING_KEY
# (32 random bytes, base64), or var/signing-key.
SIGNING_KEY = key_from_env_or_file(
    "KOMMOGEN_SIGNING_KEY", "KOMMOGEN_SIGNING_KEY_FILE", "signing-key",
    "Generate one once and keep it with your backups (python3 -c 'import base64, secrets; "
    "print(base64.b64encode(secrets.token_bytes(32)).decode())').",
    "aW5zZWN1cmUtZGV2ZWxvcG1lbnQtc2lnbmluZy1rZXk=",  # 32 bytes, development only
)  # fmt: skip
try:
    if len(base64.b64decode(SIGNING_KEY, validate=True)) != 32:
        raise ValueError
except ValueError:
    raise ImproperlyConfigured("KOMMOGEN_SIGNING_KEY must be 32 bytes in base64.") from None

# The signer's state: the last checkpoint it signed, kept outside the database beside the
# signing key (agreements/evidence/signed_state.py). Back it up with the key.
SIGNER_STATE_FILE = Path(
    os.environ.get("KOMMOGEN_SIGNER_STATE_FILE")
    or Path(os.environ.get("KOMMOGEN_SIGNING_KEY_FILE") or VAR_DIR / "signing-key").parent
    / "signer-state.json"
)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# The public address of the site, used in absolute links (feeds, receipts, emails).
SITE_URL = os.environ.get("KOMMOGEN_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The name of the evidence's transparency log: the first line of every checkpoint, and
# the signing key's name. Set KOMMOGEN_SITE_URL before the first checkpoint is made.
LOG_ORIGIN = os.environ.get("KOMMOGEN_LOG_ORIGIN") or urlsplit(SITE_URL).netloc + "/evidence"
# An RFC 3161 time-stamping authority for the checkpoints (optional), like
# http://timestamp.digicert.com; empty: no timestamps.
TSA_URL = os.environ.get("KOMMOGEN_TSA_URL", "")
# The authority's root certificate(s), PEM: verify_evidence then checks each timestamp's
# signature too (without it, only that each is for its checkpoint's exact text).
TSA_ROOTS = os.environ.get("KOMMOGEN_TSA_ROOTS", "")
# Where Django admin is served, e.g. "office-7f3k/": a path bots do not guess. Not a
# secret (login is throttled and required); robots.txt names only the default one.
ADMIN_PATH = os.environ.get("KOMMOGEN_ADMIN_PATH", "admin").strip("/") + "/"
# The zone in which the operator works; dates are shown in UTC and in this zone.
OPERATOR_TIME_ZONE = os.environ.get("KOMMOGEN_OPERATOR_TIME_ZONE", "Asia/Ho_Chi_Minh")

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "axes",
    "csp",
    "markdownx",
    "agreements",
]

MIDDLEWARE = [
    # The current document pages, answered before the rest (agreements/documents/early.py).
    "agreements.documents.early.CurrentDocumentPages",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kommogen_site.middleware.public_request_size",
    "kommogen_site.middleware.unreadable_input",
    "kommogen_site.middleware.admin_pages",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kommogen_site.middleware.PathLanguage",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "kommogen_site.middleware.DatabaseUnavailableMiddleware",
]

# django-axes checks failed logins first; Django's own backend then checks passwords.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "kommogen_site.urls"
WSGI_APPLICATION = "kommogen_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "agreements.context_processors.site",
            ],
        },
    },
]

# SQLite by default: one file under var/, in WAL mode with a busy timeout, and
# write transactions that take the lock when they begin (no upgrade deadlocks).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DJANGO_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": env_int("KOMMOGEN_SQLITE_BUSY_TIMEOUT", 5),
        "transaction_mode": "IMMEDIATE",
        # recursive_triggers: the row an INSERT OR REPLACE deletes then fires the delete
        # triggers, so REPLACE cannot overwrite a published version or an event.
        # secure_delete: content deleted or overwritten (an erasure) is zeroed on disk,
        # not left in free space for a copy of the file to reveal.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA recursive_triggers=ON; "
            "PRAGMA secure_delete=ON;"
        ),
    }
    # The tests' database: make test-dates runs two suites at once, each with its own.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("KOMMOGEN_TEST_DATABASE") or str(VAR_DIR / "test-db.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# English at today's addresses, Russian under /ru/, Vietnamese under /vi/: the language
# of a page is in its address, never guessed (kommogen_site/middleware.py, PathLanguage).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский"), ("vi", "Tiếng Việt")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# HTTPS: on when the site is served over TLS (production). Off for `make run`,
# which serves plain HTTP on 127.0.0.1.
HTTPS = env_bool("KOMMOGEN_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("KOMMOGEN_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("KOMMOGEN_HSTS_PRELOAD", HTTPS)
if env_bool("KOMMOGEN_BEHIND_TLS_PROXY", False):
    # Only when a proxy that sets this header sits in front: otherwise a client could forge it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers may probe over plain HTTP
X_FRAME_OPTIONS = "DENY"
# Only the operator has a session (admin); it ends after this many hours or with the browser.
SESSION_COOKIE_AGE = env_int("KOMMOGEN_ADMIN_SESSION_HOURS", 8) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Content-Security-Policy: every asset comes from this origin and no inline script or
# style runs anywhere; admin pages additionally allow data: images (its widgets' icons).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
# Powerful browser features the site never uses are switched off; the clause links'
# "copy" button writes to the clipboard from this origin only.
PERMISSIONS_POLICY = {
    "accelerometer": [], "autoplay": [], "camera": [], "clipboard-read": [],
    "clipboard-write": ["self"], "display-capture": [], "encrypted-media": [],
    "fullscreen": [], "geolocation": [], "gyroscope": [], "magnetometer": [],
    "microphone": [], "midi": [], "payment": [], "publickey-credentials-get": [],
    "screen-wake-lock": [], "usb": [], "xr-spatial-tracking": [],
}  # fmt: skip

# Admin login: after AXES_FAILURE_LIMIT failures from one client IP, that IP is locked
# out for the cool-off time (the IP as found behind KOMMOGEN_TRUSTED_PROXIES).
AXES_FAILURE_LIMIT = env_int("KOMMOGEN_ADMIN_LOGIN_FAILURES", 5)
# The sign-in records (IP, browser, the user name typed) are deleted after this many days
# by the nightly erase_expired_requests.
KOMMOGEN_LOGIN_RECORDS_DAYS = env_int("KOMMOGEN_LOGIN_RECORDS_DAYS", 30)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("KOMMOGEN_ADMIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_CLIENT_IP_CALLABLE = "agreements.core.clients.login_client"
AXES_LOCKOUT_TEMPLATE = "admin_locked_out.html"
AXES_RESET_ON_SUCCESS = True
# /healthz answers 503 when the disk the site writes to (var/, the SQLite file) has less
# free space than this, before every submission starts failing.
KOMMOGEN_MIN_FREE_DISK = env_int("KOMMOGEN_MIN_FREE_DISK_MB", 100) * 1024 * 1024
# A database busy past its timeout (or unreachable) answers 503 with this Retry-After.
KOMMOGEN_RETRY_AFTER_SECONDS = env_int("KOMMOGEN_RETRY_AFTER_SECONDS", 5)

# Contact and withdrawal submissions per client IP: "COUNT/SECONDS"; "0" turns it off.
# Counted in a database table (agreements.RateCounter), so every worker and every
# server sharing the database sees the same counts.
KOMMOGEN_RATE_LIMIT = os.environ.get("KOMMOGEN_RATE_LIMIT", "5/600").strip()
if KOMMOGEN_RATE_LIMIT not in ("", "0") and not re.fullmatch(r"\d+/[1-9]\d*", KOMMOGEN_RATE_LIMIT):
    raise ImproperlyConfigured(
        f"KOMMOGEN_RATE_LIMIT must be COUNT/SECONDS, like 5/600, or 0 to turn it off; "
        f"not {KOMMOGEN_RATE_LIMIT!r}."
    )
# How many reverse proxies in front of gunicorn append to X-Forwarded-For (0: none,
# the client's address is REMOTE_ADDR and X-Forwarded-For is ignored).
KOMMOGEN_TRUSTED_PROXIES = env_int("KOMMOGEN_TRUSTED_PROXIES", 0)
# How long a process may keep showing a document page's versions before asking the
# database again (a version published elsewhere appears within this many seconds).
KOMMOGEN_PAGE_STATE_SECONDS = env_int("KOMMOGEN_PAGE_STATE_SECONDS", 1)
# A form sent sooner than this after it was shown is taken for a bot.
KOMMOGEN_MIN_FILL_SECONDS = env_int("KOMMOGEN_MIN_FILL_SECONDS", 3)
# Larger request bodies are refused with 400 before any form is read: public forms are
# small; admin saves whole documents (200 KB of Cyrillic Markdown is ~1.2 MB URL-encoded).
KOMMOGEN_PUBLIC_MAX_BODY = 64 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024

# Requests (and withdrawals) older than this many days have their personal data erased
# by `manage.py erase_expired_requests` (deploy/ runs it nightly): three years, the usual
# limitation period for contract claims in Vietnam and Russia. The Privacy Policy says so.
KOMMOGEN_RETENTION_DAYS = env_int("KOMMOGEN_RETENTION_DAYS", 3 * 365)

# The outbox worker (manage.py deliver) gives up on a message after this many attempts
# (30 s, 1, 2, 4 … minutes apart, at most 6 hours); admin shows it and can retry it.
KOMMOGEN_OUTBOX_MAX_ATTEMPTS = env_int("KOMMOGEN_OUTBOX_MAX_ATTEMPTS", 8)
# The consent (7.1) promises notifications at most twice a month to one address: a
# third waits for the next month (held, never dropped).
KOMMOGEN_NOTICES_PER_MONTH = env_int("KOMMOGEN_NOTICES_PER_MONTH", 2)
# A message left "sending" this long (the worker died mid-send) is recovered: a Kommo lead
# is tried again (it searches first), an email is marked failed for the operator to check.
KOMMOGEN_OUTBOX_LEASE_SECONDS = env_int("KOMMOGEN_OUTBOX_LEASE_SECONDS", 15 * 60)
# The longest wait a receiver's Retry-After may ask for; beyond it the worker asks again.
KOMMOGEN_RETRY_AFTER_MAX_SECONDS = env_int("KOMMOGEN_RETRY_AFTER_MAX_SECONDS", 60 * 60)
# /healthz answers 503 when a message has been due for longer than this (a stalled worker).
KOMMOGEN_OUTBOX_STALL_SECONDS = env_int("KOMMOGEN_OUTBOX_STALL_SECONDS", 15 * 60)

# The operator's Kommo CRM: each request becomes a lead when both are set (the account's
# address, like https://example.kommo.com, and a long-lived token); otherwise nothing is
# sent to Kommo at all.
KOMMO_BASE_URL = os.environ.get("KOMMO_BASE_URL", "").rstrip("/")
KOMMO_TOKEN = os.environ.get("KOMMO_TOKEN", "")
KOMMO_TIMEOUT = env_int("KOMMO_TIMEOUT", 10)
# Kommo answers 429 above 7 requests a second per account; the worker spaces its calls.
KOMMO_REQUESTS_PER_SECOND = env_int("KOMMO_REQUESTS_PER_SECOND", 6)
# The visitor's IP address goes into the lead's metadata only when this is on, and only
# when the Privacy Policy in force says so (it does not today).
KOMMO_SEND_CLIENT_IP = env_bool("KOMMO_SEND_CLIENT_IP", False)

# Email: files under var/mail/ by default; SMTP when DJANGO_EMAIL_HOST is set.
KOMMOGEN_OPERATOR_EMAIL = os.environ.get("KOMMOGEN_OPERATOR_EMAIL", "gen@kommogen.com")
# The messengers the operator answers on, shown on the home and contact pages when set:
# a Telegram username, and WhatsApp and Zalo phone numbers with their country code.
KOMMOGEN_TELEGRAM = os.environ.get("KOMMOGEN_TELEGRAM", "")
KOMMOGEN_WHATSAPP = os.environ.get("KOMMOGEN_WHATSAPP", "")
KOMMOGEN_ZALO = os.environ.get("KOMMOGEN_ZALO", "")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "website@kommogen.com")
# The name beside it in From, and where replies go: a mailbox a person reads (the
# consent promises that replying withdraws it), the operator's by default.
KOMMOGEN_FROM_NAME = os.environ.get("KOMMOGEN_FROM_NAME", "KommoGEN")
KOMMOGEN_REPLY_TO = os.environ.get("KOMMOGEN_REPLY_TO", "") or KOMMOGEN_OPERATOR_EMAIL
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "")
# Without a mail server, each email is a file under var/mail/ (kommogen_site/mail.py):
# nothing personal is printed to the output.
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "kommogen_site.mail.DevelopmentMailbox"
)
EMAIL_FILE_PATH = Path(os.environ.get("KOMMOGEN_MAIL_DIR") or VAR_DIR / "mail")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_TIMEOUT = env_int("DJANGO_EMAIL_TIMEOUT", 10)

# django-markdownx: the editor's preview uses the public rendering and sanitising.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "agreements.documents.rendering.render_preview"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"secrets_masked": {"()": "kommogen_site.access_log.SecretsMasked"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["secrets_masked"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
