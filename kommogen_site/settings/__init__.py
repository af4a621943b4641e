"""Django settings for the KommoGEN site, read from the environment (12-factor), split by
concern; every value that differs between a laptop and production comes from one
environment variable with a documented default (docs/configuration.md), read and
checked in environment.py.

base.py       the site: apps, database, languages, static files, form limits, retention
security.py   Django's key, hosts, HTTPS and headers, CSP, admin, login lockout
evidence.py   the evidence's keys, the signer's state, the log's name, timestamps
messages.py   the outbox worker, Kommo and email
"""

from .base import *  # noqa: F403
from .environment import BASE_DIR, DEBUG, VAR_DIR  # noqa: F401
from .evidence import *  # noqa: F403
from .messages import *  # noqa: F403
from .security import *  # noqa: F403
