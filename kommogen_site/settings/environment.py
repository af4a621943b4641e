"""The one source of every setting: the environment, read and checked here (a wrong
value stops the start with a message naming the variable), with the shared paths."""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name, default):
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


DEBUG = env_bool("DJANGO_DEBUG", False)


def key_from_env_or_file(name, file_setting, file_name, advice, development_value):
    """A key from the environment, or else from the file `make run` generates once (so
    that manage.py commands work as docs/ show them). With neither, production refuses
    to start; a development machine (DJANGO_DEBUG) gets a fixed, public value."""
    path = Path(os.environ.get(file_setting) or VAR_DIR / file_name)
    value = os.environ.get(name, "") or (
        path.read_text(encoding="utf-8").strip() if path.is_file() else ""
    )
    if value or DEBUG:
        return value or development_value
    raise ImproperlyConfigured(f"{name} is not set, and there is no key file at {path}. {advice}")
