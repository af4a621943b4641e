"""URL path types: document slugs, version numbers and row ids, bounded to what the
database can hold (registered in AppConfig.ready(): agreements/apps.py)."""

from .models import Document


class DocumentSlugConverter:
    regex = "|".join(Document.Slug.values)

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class VersionNumberConverter:
    """A version number: at most 9 digits, so every number the URL accepts fits the
    database's integer column (an out-of-range number is a 404, on SQLite as on PostgreSQL)."""

    regex = "[0-9]{1,9}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


class RowIdConverter(VersionNumberConverter):
    """A primary key: at most 18 digits, within a 64-bit integer."""

    regex = "[0-9]{1,18}"
