"""Django's Russian formats, with a moment's zone named (see formats/en/formats.py)."""

from django.conf.locale.ru.formats import *  # noqa: F403

DATETIME_FORMAT = "j E Y г. G:i T"
SHORT_DATETIME_FORMAT = "d.m.Y H:i T"
