"""The areas' layers: a lower area tells a higher one what happened through a signal it
connects at start-up, inside the same transaction; nothing is lost when nobody listens."""

import subprocess

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from agreements.documents.signals import version_published
from agreements.models import OutboxMessage, Submission, Version
from agreements.outbox.receivers import on_version_published


def test_no_area_imports_an_area_above_it():
    """The contract in pyproject.toml, function-level imports included (make lint runs it)."""
    result = subprocess.run(
        [settings.BASE_DIR / ".venv" / "bin" / "lint-imports", "--no-cache"],
        cwd=settings.BASE_DIR, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    assert "Areas depend only on the areas below them KEPT" in result.stdout


def test_a_request_and_its_messages_commit_together(send_request):
    send_request()
    submission = Submission.objects.get()
    kinds = set(submission.messages.values_list("kind", flat=True))
    assert {"operator_request", "receipt_copy"} <= kinds


def test_a_publication_nobody_hears_is_refused_and_nothing_is_published(make_draft, publish):
    from agreements.documents.services import version_publish

    publish()
    draft = make_draft("## 1. Changed\n\n1.1. Changed text.\n")
    version_published.disconnect(dispatch_uid="outbox.on_version_published")
    try:
        with pytest.raises(ImproperlyConfigured, match="Nothing receives"):
            version_publish(version=draft)
    finally:
        version_published.connect(on_version_published, dispatch_uid="outbox.on_version_published")
    assert Version.objects.published().count() == 1 and not OutboxMessage.objects.exists()
