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
]
