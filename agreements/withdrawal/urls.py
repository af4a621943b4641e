from django.urls import path

from . import views

urlpatterns = [
    path("consent/withdraw/", views.withdraw, name="withdraw"),
    path(
        "consent/withdraw/confirm/<str:token>/",
        views.confirm_withdrawal,
        name="confirm_withdrawal",
    ),
    path("receipt/<str:token>/withdraw/", views.withdraw_from_receipt, name="withdraw_now"),
    path("receipt/<str:token>.json", views.receipt_json, name="receipt_json"),
    path("consent/withdraw/<str:token>/", views.withdrawal_receipt, name="withdrawal_receipt"),
]
