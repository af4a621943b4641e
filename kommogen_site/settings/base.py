"""The site itself: apps, middleware, templates, the database, languages, static files,
its public address, the limits of the public forms, retention and logging."""

import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .environment import BASE_DIR, VAR_DIR, env_int

# The public address of the site, used in absolute links (feeds, receipts, emails).
SITE_URL = os.environ.get("KOMMOGEN_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

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
# Each language's own formats, with a moment's zone named (admin shows the operator's).
FORMAT_MODULE_PATH = ["kommogen_site.formats"]
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

# A material change takes effect no sooner than this many days after it is published;
# those who accepted the version before are told, and asked to accept the new one.
KOMMOGEN_NOTICE_DAYS = env_int("KOMMOGEN_NOTICE_DAYS", 30)

# Who receives the data, as the Privacy Policy names them (section 6), filled in when it
# is published (agreements/documents/placeholders.py): the hosting provider, the email
# provider, where Kommo keeps the account's data, and where the backups are kept, each
# like "Hetzner Online GmbH, Germany". KOMMOGEN_HOSTING_RU and _VI give the name as a
# Russian or Vietnamese text writes it. Unset: the text names the kind of provider only
# (and `check --deploy` warns).
KOMMOGEN_RECIPIENTS = {
    kind: {
        language: os.environ.get(f"KOMMOGEN_{kind.upper()}{suffix}", "").strip()
        for language, suffix in (("en", ""), ("ru", "_RU"), ("vi", "_VI"))
    }
    for kind in ("hosting", "mail", "crm", "backups")
}

# django-markdownx: the editor's preview uses the public rendering and sanitising.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "agreements.documents.rendering.render_preview"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"secrets_masked": {"()": "kommogen_site.access_log.SecretsMasked"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["secrets_masked"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools narrate every page of an evidence pack at INFO.
    "loggers": {name: {"level": "WARNING"} for name in ("weasyprint", "fontTools")},
}
