from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from markdownx.views import MarkdownifyView

from agreements.views import drafts_staff_only

urlpatterns = [
    path("", include("agreements.urls")),  # the public pages, tried first
    path(settings.ADMIN_PATH, admin.site.urls),
    # The editor's preview: staff who may read drafts; image uploads are not mounted at all.
    path(
        "markdownx/markdownify/",
        drafts_staff_only(MarkdownifyView.as_view()),
        name="markdownx_markdownify",
    ),
]
