"""Views that fail on purpose, to see the error pages a visitor would get."""

from django.db import OperationalError
from django.urls import path

from kommogen_site.urls import urlpatterns as site


def fails(request):
    raise RuntimeError("a bug")


def database_down(request):
    raise OperationalError("connection to server failed")


urlpatterns = [
    path("fails/", fails),
    path("database-down/", database_down),
    *site,
]
