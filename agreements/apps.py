from django.apps import AppConfig
from django.urls import register_converter


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = "Agreements and evidence"

    def ready(self):
        """The wiring of the areas: the withdrawal area and the outbox hear what the areas
        below them announce (their signals.py); the URL path types URLconfs and admin use."""
        from .documents import checks, converters  # noqa: F401 (checks registers itself)
        from .outbox import receivers as outbox
        from .rights import receivers as rights
        from .withdrawal import receivers as withdrawal

        withdrawal.connect()
        rights.connect()
        outbox.connect()
        register_converter(converters.DocumentSlugConverter, "document")
        register_converter(converters.VersionNumberConverter, "number")
        register_converter(converters.RowIdConverter, "id")
