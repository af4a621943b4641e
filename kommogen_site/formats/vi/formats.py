"""Django's Vietnamese formats, with a moment's zone named (see formats/en/formats.py)."""

from django.conf.locale.vi.formats import *  # noqa: F403

DATETIME_FORMAT = r"H:i T \N\gà\y d \t\há\n\g n \nă\m Y"
SHORT_DATETIME_FORMAT = "H:i T d-m-Y"
