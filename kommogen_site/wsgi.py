"""WSGI entry point for gunicorn: Django, with the current document pages answered in
front of it when this process has already sent them (agreements/documents/early.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kommogen_site.settings")

application = get_wsgi_application()

from agreements.documents.early import EarlyAnswers  # noqa: E402 (after Django is set up)

application = EarlyAnswers(application)
