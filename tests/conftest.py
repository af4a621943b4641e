"""Small builders for tests: documents, drafts and published versions."""

import email
from datetime import datetime, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from agreements.documents import caching
from agreements.documents.services import version_publish
from agreements.models import Document, Version

from .live import free_port, live_site, live_site_factory, server_database  # noqa: F401


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    # The manifest storage needs collectstatic; tests render pages without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def own_signer_state(settings, tmp_path_factory):
    # The signer's state lives outside the database; each test's database gets its own.
    settings.SIGNER_STATE_FILE = tmp_path_factory.mktemp("signer") / "signer-state.json"


@pytest.fixture(autouse=True)
def forget_document_pages():
    # Each test has its own database; what a process remembers must not leak across.
    caching.forget()
    yield
    caching.forget()


AGREEMENT_TEXT = """## 1. General Provisions

1.1. This Agreement governs the relationship between the Operator and the User.

1.2. Use of the Website constitutes **full and unconditional acceptance**.

## 7. Personal Data

7.2. The User consents to the processing of personal data.
"""


@pytest.fixture
def make_document(db):
    def make(slug=Document.Slug.AGREEMENT):
        return Document.objects.get_or_create(slug=slug)[0]

    return make


@pytest.fixture
def make_draft(make_document):
    def make(source=AGREEMENT_TEXT, slug=Document.Slug.AGREEMENT, summary="Changes."):
        document = make_document(slug)
        return Version.objects.create(
            document=document, title=document.title, source=source, summary=summary
        )

    return make


@pytest.fixture
def publish(make_draft):
    """publish(source, effective_at=None) → a published version of the agreement."""

    def make(source=AGREEMENT_TEXT, slug=Document.Slug.AGREEMENT, effective_at=None):
        return version_publish(version=make_draft(source, slug), effective_at=effective_at)

    return make


def later(**delta):
    return timezone.now() + timedelta(**delta)


LIVE_FIXTURES = {"live_site", "live_site_factory", "site", "browser", "site_behind_nginx"}


def pytest_collection_modifyitems(items):
    """Tests that start gunicorn or a browser are marked live (make test-fast skips them)."""
    for item in items:
        if LIVE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.live)


def pytest_addoption(parser):
    parser.addoption(
        "--clock",
        metavar="MOMENT",
        help="run with the clock moved to this ISO 8601 moment (it ticks on from there); "
        "make test-dates runs the suite at a Saturday, a Sunday, a Monday, 29 February "
        "and 31 December",
    )


def move_the_clock(config):
    """Every test must pass whatever the day and hour: --clock proves it."""
    moment = config.getoption("--clock")
    if moment:
        import time_machine

        travel = time_machine.travel(datetime.fromisoformat(moment), tick=True)
        travel.start()
        config.add_cleanup(travel.stop)


def pytest_configure(config):
    from django.conf import settings

    move_the_clock(config)

    config.addinivalue_line("markers", "live: starts a live site (gunicorn) or a browser")

    # whitenoise warns when STATIC_ROOT is missing; tests do not run collectstatic.
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def documents(publish):
    """The three published documents the contact form refers to."""
    return {
        Document.Slug.AGREEMENT: publish(AGREEMENT_TEXT),
        Document.Slug.CONSENT: publish(
            "## 1. Consent\n\n1.1. I consent.\n", slug=Document.Slug.CONSENT
        ),
        Document.Slug.PRIVACY: publish(
            "## 1. Privacy\n\n1.1. We care.\n", slug=Document.Slug.PRIVACY
        ),
    }


@pytest.fixture
def no_fill_delay(settings):
    settings.KOMMOGEN_MIN_FILL_SECONDS = 0


def form_token(response):
    import re

    return re.search(r'name="form_token" value="([^"]+)"', response.content.decode()).group(1)


VALID_REQUEST = {
    "name": "Nguyễn Văn An",
    "email": "an@example.com",
    "contact": "@an_telegram",
    "company": "ООО «Ромашка»",
    "service": "audit",
    "message": "Нужен аудит CRM. مرحبا 👋",
    "accept_agreement": "on",
    "consent_personal_data": "on",
}


@pytest.fixture
def send_request(client, documents, no_fill_delay):
    """send_request(**changes) → the response to a POST of the contact form."""

    def send(**changes):
        """Upper-case keys (REMOTE_ADDR, HTTP_…) go to the request's META, not the form."""
        meta = {key: changes.pop(key) for key in list(changes) if key.isupper()}
        data = {**VALID_REQUEST, "form_token": form_token(client.get("/contact/")), **changes}
        data = {key: value for key, value in data.items() if value is not None}
        return client.post("/contact/", data, **meta)

    return send


class Inbox:
    """An aiosmtpd handler keeping every message it receives; `unknown` recipients are
    refused (550), as a mail server refuses an address that does not exist."""

    def __init__(self):
        self.messages, self.peers, self.refuse, self.unknown = [], set(), 0, set()
        self.raw = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.unknown:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's API)
        self.peers.add(session.peer)  # one per connection
        if self.refuse:
            self.refuse -= 1
            return "451 Try again later"
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        self.raw.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback, and the site's email going to it."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    yield inbox
    controller.stop()
