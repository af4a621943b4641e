"""The statutory clocks of a person's requests, in one table: what each law gives the
operator to acknowledge, answer or complete each kind of request. The withdrawals'
deadlines are computed from it, and the Privacy Policy states it (its {{ deadlines }}
placeholder, filled at publication: documents/placeholders.py). The figures are the
operator's legal reading; docs/legal-notes.md says which ones counsel should confirm."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Clock:
    law: str  # "vn" or "ru"
    request: str  # a key of REQUESTS
    days: int
    working: bool  # working days (Monday to Friday) or calendar days
    source: str  # where the law says so

    def due(self, start: datetime) -> datetime:
        """The moment the clock runs out, from `start` (a fixed moment: never today)."""
        if not self.working:
            return start + timedelta(days=self.days)
        moment, days = start, self.days
        while days:
            moment += timedelta(days=1)
            if moment.weekday() < 5:
                days -= 1
        return moment


LAWS = {
    "vn": _("Vietnam (Law on Personal Data Protection, Decree 356/2025)"),
    "ru": _("Russia (Federal Law No. 152-FZ)"),
}
REQUESTS = {
    "acknowledge": _("confirming that we received a request"),
    "access": _("access to your data and a copy of it"),
    "correction": _("correcting incorrect or incomplete data"),
    "withdrawal": _("withdrawing a consent: processing stops and the data is erased"),
    "erasure": _("erasing your data"),
    "objection": _("an objection, or stopping or restricting processing"),
    "unlawful": _("stopping processing that is unlawful"),
}
CLOCKS = (
    Clock("vn", "acknowledge", 2, True, "Decree 356/2025"),
    Clock("vn", "access", 10, True, "Decree 356/2025"),
    Clock("vn", "correction", 7, True, "Decree 356/2025"),
    Clock("vn", "withdrawal", 15, False, "Decree 356/2025"),
    Clock("vn", "erasure", 15, False, "Decree 356/2025"),
    Clock("vn", "objection", 15, False, "Decree 356/2025"),
    Clock("ru", "access", 10, True, "152-FZ art. 14 part 3, art. 20 part 1"),
    Clock("ru", "correction", 7, True, "152-FZ art. 20 part 3"),
    Clock("ru", "withdrawal", 30, False, "152-FZ art. 21 part 5"),
    Clock("ru", "erasure", 7, True, "152-FZ art. 20 part 3"),
    Clock("ru", "objection", 10, True, "152-FZ art. 21 part 5.1"),
    Clock("ru", "unlawful", 3, True, "152-FZ art. 21 part 3"),
)


def clock(law: str, request: str) -> Clock:
    return next(c for c in CLOCKS if c.law == law and c.request == request)


def strictest_due(request: str, start: datetime) -> datetime:
    """The earliest deadline any of the laws sets for this kind of request: the one the
    operator keeps, since a person may be protected by either."""
    return min(c.due(start) for c in CLOCKS if c.request == request)
