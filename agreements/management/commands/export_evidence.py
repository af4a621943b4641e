"""Stream acceptance events of a date range to CSV or JSON Lines."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from agreements.evidence.export import csv_lines, json_lines
from agreements.models import AcceptanceEvent


def utc_date(value):
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), tzinfo=dt.UTC)
    except ValueError:
        raise CommandError(f"{value!r} is not a date like 2026-11-26.") from None


class Command(BaseCommand):
    help = "Export acceptance events (UTC dates, --until exclusive) as CSV or JSON Lines."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="first day, e.g. 2026-01-01")
        parser.add_argument("--until", help="day after the last, e.g. 2027-01-01")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args, since, until, format, **options):
        events = AcceptanceEvent.objects.order_by("position")
        if since:
            events = events.filter(recorded_at__gte=utc_date(since))
        if until:
            events = events.filter(recorded_at__lt=utc_date(until))
        lines = csv_lines(events) if format == "csv" else json_lines(events)
        for line in lines:
            self.stdout.write(line, ending="")
