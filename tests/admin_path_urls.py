"""The site with admin at a custom path, as KOMMOGEN_ADMIN_PATH=office-7f3k sets it."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("agreements.urls")),
    path("office-7f3k/", admin.site.urls),
]
