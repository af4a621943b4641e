"""The bench's settings (bench/settings.py) without the early answer's middleware."""

from bench.settings import *  # noqa: F403
from bench.settings import MIDDLEWARE

MIDDLEWARE = [m for m in MIDDLEWARE if m != "agreements.documents.early.CurrentDocumentPages"]
