"""The statutory clocks of a person's requests, in one table: what each law gives the
operator to acknowledge, answer or complete each kind of request. The withdrawals'
deadlines are computed from it, and the Privacy Policy states it (its {{ deadlines }}
placeholder, filled at publication: documents/placeholders.py). The figures are the
operator's legal reading; docs/legal-notes.md says which ones counsel should confirm."""

import calendar
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

    months: int = 0  # a calendar month or more (GDPR art. 12(3)), instead of days

    def due(self, start: datetime) -> datetime:
        """The moment the clock runs out, from `start` (a fixed moment: never today)."""
        if self.months:
            return add_months(start, self.months)
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
    "eu": _("European Union (GDPR)"),
}
# The laws the Privacy Policy names (7.1): the register also knows the GDPR's clocks, for
# a person the operator decides it protects; the texts do not claim it applies.
STATED = ("vn", "ru")
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
    Clock("eu", "access", 0, False, "GDPR art. 12(3)", months=1),
    Clock("eu", "correction", 0, False, "GDPR art. 12(3)", months=1),
    Clock("eu", "withdrawal", 0, False, "GDPR art. 12(3)", months=1),
    Clock("eu", "erasure", 0, False, "GDPR art. 12(3)", months=1),
    Clock("eu", "objection", 0, False, "GDPR art. 12(3)", months=1),
)
# The law a person's request is first read under, by the language they wrote in; the
# operator, established in Vietnam, always keeps Vietnam's clocks too (the stricter wins).
LAW_OF_LANGUAGE = {"ru": "ru", "vi": "vn", "en": "vn"}


def clock(law: str, request: str) -> Clock:
    return next(c for c in CLOCKS if c.law == law and c.request == request)


def strictest_due(request: str, start: datetime, laws=STATED) -> datetime:
    """The earliest deadline the laws set for this kind of request: the one the operator
    keeps, since a person may be protected by either."""
    return min(c.due(start) for c in CLOCKS if c.request == request and c.law in laws)


def due_for(request: str, start: datetime, law: str) -> datetime:
    """A register entry's deadline: the stricter of Vietnam's clock (the operator's own
    law) and the person's law's, for this kind of request."""
    return strictest_due(request, start, laws={"vn", law})


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it has fewer)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
