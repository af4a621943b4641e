"""What the site tells people and the operator's CRM: the outbox worker, Kommo and email."""

import os
from pathlib import Path

from .environment import VAR_DIR, env_bool, env_int

# The outbox worker (manage.py deliver) gives up on a message after this many attempts
# (30 s, 1, 2, 4 … minutes apart, at most 6 hours); admin shows it and can retry it.
KOMMOGEN_OUTBOX_MAX_ATTEMPTS = env_int("KOMMOGEN_OUTBOX_MAX_ATTEMPTS", 8)
# The consent (7.1) promises notifications at most twice a month to one address: a
# third waits for the next month (held, never dropped).
KOMMOGEN_NOTICES_PER_MONTH = env_int("KOMMOGEN_NOTICES_PER_MONTH", 2)
# A "my data" link (emailed on request at /my-data/) opens once, within this many minutes;
# the page it opens acts for as long again.
KOMMOGEN_MY_DATA_LINK_MINUTES = env_int("KOMMOGEN_MY_DATA_LINK_MINUTES", 30)
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
# Who issues the receipts and evidence sheets, as a printed copy names them: the
# operator's name and postal address (the texts' section 1).
KOMMOGEN_ISSUER = os.environ.get(
    "KOMMOGEN_ISSUER", "Mikhail Trapeznikov, operating under the KommoGEN brand"
)
KOMMOGEN_ISSUER_ADDRESS = os.environ.get(
    "KOMMOGEN_ISSUER_ADDRESS",
    "65251, 02 Nguyen Thi Minh Khai Street, Loc Tho Ward, Nha Trang, Khanh Hoa, Vietnam, "
    "65000, Floor 27, Apartment A2717",
)
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
