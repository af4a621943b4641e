"""Email on a machine without a mail server (`make run` without DJANGO_EMAIL_HOST): each
message is written whole to its own file under var/mail/ (readable by its owner only),
and the output gets one line per message with nothing personal in it. Django's console
backend printed every message whole (names, addresses, messages, bearer links to
receipts) into terminal scrollback and into any file the output went to."""

import os
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class DevelopmentMailbox(BaseEmailBackend):
    _lock = threading.Lock()
    _count = 0

    def send_messages(self, email_messages):
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for message in email_messages:
            path = folder / self.file_name()
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(message.message().as_bytes())
            recipients = len(message.recipients())
            sys.stdout.write(f"Email to {recipients} recipient(s), {message.subject!r}: {path}\n")
            sys.stdout.flush()
        return len(email_messages)

    @classmethod
    def file_name(cls):
        with cls._lock:
            cls._count += 1
            count = cls._count
        moment = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
        return f"{moment}-{os.getpid()}-{count}.eml"
