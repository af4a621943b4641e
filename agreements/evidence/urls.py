from django.urls import path

from . import views

urlpatterns = [
    path("receipt/<str:token>/", views.receipt, name="receipt"),
    path("receipt/<str:token>.json", views.receipt_json, name="receipt_json"),
    path("consent/withdraw/<str:token>/", views.withdrawal_receipt, name="withdrawal_receipt"),
    path("evidence/", views.evidence_page, name="evidence"),
]
