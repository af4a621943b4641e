"""The site with no early answer: kommogen_site's settings without the CurrentDocumentPages
middleware, and Django's own WSGI application without the EarlyAnswers wrapper. make
bench serves it beside the site, to show what agreements/documents/early.py is worth."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_without_early"

from django.core.wsgi import get_wsgi_application  # noqa: E402 (after the settings module)

application = get_wsgi_application()
