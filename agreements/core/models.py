"""What every area shares: a person's record (a request's and a withdrawal's) with its
reference, private receipt address and the one normalisation of email addresses; and the
rate limit's counters."""

import secrets
import unicodedata

from django.conf import settings
from django.db import connection, models
from django.utils import timezone


def normalise_email(value):
    """The one normalisation of an email address, used in digests, withdrawals and erasure
    (and in the recipe on /evidence/): trimmed, Unicode NFC, case-folded, and the domain
    in its ASCII (IDNA) form, so zoe@Ärzte.de and ZOE@xn--rzte-koa.de are one address."""
    value = unicodedata.normalize("NFC", (value or "").strip()).casefold()
    local, at, domain = value.rpartition("@")
    if not at:
        return value
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        pass  # not a valid international domain: keep it as typed, folded
    return f"{local}@{domain}"


def new_reference():
    # Short, readable, without look-alike characters: quoted on the phone or in an email.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "KG-" + "".join(secrets.choice(alphabet) for _ in range(10))


def new_receipt_token():
    return secrets.token_urlsafe(32)


def new_salt():
    return secrets.token_hex(16)


class PersonalRecord(models.Model):
    """What a request and a withdrawal both are: something a person sent, with a
    reference, a private receipt address, their address and where it came from."""

    reference = models.CharField(max_length=16, unique=True, default=new_reference)
    receipt_token = models.CharField(max_length=64, unique=True, default=new_receipt_token)
    salt = models.CharField(
        max_length=32,
        default=new_salt,
        help_text="Random salt of the personal-data digests in the evidence chain. Kept after "
        "erasure, so that an email presented later can still be matched.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    email = models.EmailField(max_length=254, blank=True, db_index=True)
    email_key = models.CharField(
        max_length=254,
        blank=True,
        db_index=True,
        editable=False,
        help_text="The email as normalise_email() gives it: how withdrawals and erasure match.",
    )
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self):
        return self.reference

    def save(self, *args, **kwargs):
        self.email_key = normalise_email(self.email)
        super().save(*args, **kwargs)


class RateCounter(models.Model):
    """Form submissions from one client in one time window: incremented in the database,
    atomically, so every worker and server sharing it sees one count."""

    key = models.CharField(max_length=120)  # "contact:203.0.113.9"
    window = models.BigIntegerField()  # the window's number since the epoch
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="rate_counter_unique")
        ]

    def __str__(self):
        return f"{self.key} in window {self.window}: {self.count}"

    @classmethod
    def forget_old(cls, now=None):
        """Drop the counters of windows that have ended: an IP address is kept for the
        rest of its window and no longer (the outbox worker calls this every minute).
        The Kommo pace counts in one-second windows, the forms' limit in its own."""
        now = int((now or timezone.now()).timestamp())
        pace = cls.objects.filter(key__startswith="kommo-pace:")
        pace.filter(window__lt=now - 1).delete()
        limit = settings.KOMMOGEN_RATE_LIMIT
        if limit not in ("", "0"):
            seconds = int(limit.split("/")[1])
            cls.objects.exclude(key__startswith="kommo-pace:").filter(
                window__lt=now // seconds
            ).delete()

    @classmethod
    def hit(cls, key, window):
        """Count one more request, in one statement (an upsert, atomic on SQLite and
        PostgreSQL alike); the count including it."""
        table, quote = cls._meta.db_table, connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(table)} ({quote('key')}, {quote('window')}, {quote('count')})"
                f" VALUES (%s, %s, 1) ON CONFLICT ({quote('key')}, {quote('window')})"
                f" DO UPDATE SET {quote('count')} = {quote(table)}.{quote('count')} + 1"
                f" RETURNING {quote('count')}",
                [key, window],
            )  # fmt: skip
            count = cursor.fetchone()[0]
        if count == 1:  # the first of a new window: forget the windows before the last
            # of the same scope ("contact:…", "kommo-pace:…"): scopes count in other units.
            scope = key.split(":", 1)[0] + ":"
            cls.objects.filter(key__startswith=scope, window__lt=window - 1).delete()
        return count
