"""Streaming export of acceptance events to CSV and JSON Lines, safe to open in a spreadsheet."""

import csv
import json

from . import chain
from .verification import versions_by_pk

COLUMNS = [
    "position", "recorded_at", "kind", "purpose", "document", "version", "fingerprint",
    "statement", "submit_label", "form", "page", "form_rendered_at", "language",
    "reference", "subject_salt", "subject_digests", "format", "texts", "belongs_to",
    "subject_digest", "subject_key_id", "applies_to", "form_snapshot", "previous_hash", "hash",
]  # fmt: skip
# Columns holding JSON: written as canonical JSON, as in the hashed record. Every key of
# a record has its column, so every row can be re-hashed from the CSV alone.
JSON_COLUMNS = ("subject_digests", "texts", "applies_to")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Prefix text a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _Echo:
    def write(self, value):
        return value


def rows(events):
    """(event, record) in order, streaming: versions are read once, not with every event
    (a version carries its whole text, which a join would load thousands of times)."""
    versions = versions_by_pk()
    for event in events.select_related(None).iterator(chunk_size=2000):
        yield event, chain.record(event, versions.get(event.version_id))


def csv_lines(events):
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for event, record in rows(events):
        row = record | {"hash": event.hash}
        for column in JSON_COLUMNS:
            if row.get(column) is not None:
                row[column] = chain.canonical(row[column]).decode()
        yield writer.writerow([spreadsheet_safe(row.get(c)) for c in COLUMNS])


def json_lines(events):
    """One JSON object per line: {"record": …, "hash": …}, as on receipts. U+2028 and
    U+2029 are escaped: some readers take them for line ends (JSON itself allows them)."""
    for event, record in rows(events):
        line = json.dumps({"record": record, "hash": event.hash}, ensure_ascii=False)
        yield line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"
