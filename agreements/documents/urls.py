from django.urls import path

from . import views
from .feeds import VersionFeed

# The hottest page: tried first of all (agreements/urls.py), every pattern before it
# costing each request.
current = path("<document:document>/", views.CurrentVersionView.as_view(), name="document_current")

urlpatterns = [
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
    path(
        "<document:document>/compare/",
        views.ComparePickView.as_view(),
        name="document_compare_pick",
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
        "<document:document>/v/<number:number>.html",
        views.raw_version_html,
        name="document_version_html",
    ),
    path(
        "<document:document>/draft/<id:pk>/",
        views.DraftPreviewView.as_view(),
        name="document_draft",
    ),
]
