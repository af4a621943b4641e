"""Logs without what identifies a visitor (the Privacy Policy says so): gunicorn's access
log, and the secrets in paths Django's own log lines name.

No client IP, query string, referrer or user agent; a secret in a path (a receipt's or
a withdrawal's token) is replaced by "...". gunicorn.conf.py names this class.
"""

import logging
import re

from gunicorn.glogging import Logger

# Receipt and confirmation tokens are long URL-safe strings, and a signed link's token
# is "payload:timestamp:signature": each is masked whole. No public path has one.
SECRET_IN_PATH = re.compile(r"[A-Za-z0-9_:-]{20,}")
# A line feed (or any control character) in a path would split or forge a log line.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def private_path(path):
    masked = SECRET_IN_PATH.sub("...", path or "")
    return CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", masked)


class PrivateAccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: atoms[key] for key in ("t", "m", "s", "B", "L")} | {
            "U": private_path(atoms["U"])
        }


class SecretsMasked(logging.Filter):
    """Django's own log lines ("Not Found: /receipt/…/") with secrets in paths masked."""

    def filter(self, record):
        if isinstance(record.args, tuple):
            record.args = tuple(
                private_path(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True
