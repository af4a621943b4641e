"""Django's English formats, with a moment's zone named (T: "UTC", "+07"): admin shows
times in the operator's zone (kommogen_site/middleware.py), and says which."""

from django.conf.locale.en.formats import *  # noqa: F403

DATETIME_FORMAT = "N j, Y, P T"
SHORT_DATETIME_FORMAT = "m/d/Y P T"
