from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.urls import include, path
from markdownx.views import MarkdownifyView

urlpatterns = [
    path("", include("agreements.urls")),  # the public pages, tried first
    path(settings.ADMIN_PATH, admin.site.urls),
    # The editor's preview, behind staff login; image uploads are not mounted at all.
    path(
        "markdownx/markdownify/",
        staff_member_required(MarkdownifyView.as_view()),
        name="markdownx_markdownify",
    ),
]
