from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import converters, views  # noqa: F401 (converters registers the URL types)
from .feeds import VersionFeed
from .sitemaps import SITEMAPS

urlpatterns = [
    path("", views.home, name="home"),
    # The hottest page first: every pattern tried before it costs each request.
    path("<document:document>/", views.CurrentVersionView.as_view(), name="document_current"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("contact/", views.contact, name="contact"),
    path("receipt/<str:token>/", views.receipt, name="receipt"),
    path("receipt/<str:token>.json", views.receipt_json, name="receipt_json"),
    path("consent/withdraw/", views.withdraw, name="withdraw"),
    path("consent/withdraw/<str:token>/", views.withdrawal_receipt, name="withdrawal_receipt"),
    path("evidence/", views.evidence_page, name="evidence"),
    path(
        "<document:document>/versions/",
        views.VersionHistoryView.as_view(),
        name="document_history",
    ),
    path(
        "<document:document>/compare/<number:old>...<number:new>/",
        views.CompareView.as_view(),
        name="document_compare",
    ),
    path("<document:document>/feed/", VersionFeed(), name="document_feed"),
    path(
        "<document:document>/v/<number:number>/",
        views.VersionView.as_view(),
        name="document_version",
    ),
    path(
        "<document:document>/v/<number:number>/print/",
        views.PrintVersionView.as_view(),
        name="document_version_print",
    ),
    path(
        "<document:document>/v/<number:number>.md",
        views.raw_version,
        name="document_version_raw",
    ),
    path(
        "<document:document>/draft/<id:pk>/",
        views.DraftPreviewView.as_view(),
        name="document_draft",
    ),
]
