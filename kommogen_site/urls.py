from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from markdownx.views import MarkdownifyView

from agreements.documents.sitemaps import SITEMAPS
from agreements.documents.views import drafts_staff_only

from . import views

urlpatterns = [
    # The public pages, tried first: English at the root, the others under /ru/, /vi/.
    *i18n_patterns(path("", include("agreements.urls")), prefix_default_language=False),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path(settings.ADMIN_PATH, admin.site.urls),
    # The editor's preview: staff who may read drafts; image uploads are not mounted at all.
    path(
        "markdownx/markdownify/",
        drafts_staff_only(MarkdownifyView.as_view()),
        name="markdownx_markdownify",
    ),
]
