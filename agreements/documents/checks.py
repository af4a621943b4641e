"""What `manage.py check --deploy` says about the documents' deployment facts."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def recipients_named(app_configs, **kwargs):
    """The Privacy Policy names who receives the data (section 6): in production each
    provider is named in settings, not only described by its kind."""
    unnamed = [kind for kind, names in settings.KOMMOGEN_RECIPIENTS.items() if not names["en"]]
    if not unnamed:
        return []
    variables = ", ".join(f"KOMMOGEN_{kind.upper()}" for kind in unnamed)
    return [checks.Warning(
        f"The Privacy Policy will not name these recipients of personal data: {variables}.",
        hint="Set each to the provider's name and where it keeps the data, like "
        "'Hetzner Online GmbH, Germany' (docs/configuration.md).",
        id="kommogen.W001",
    )]  # fmt: skip
