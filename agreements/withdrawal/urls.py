from django.urls import path

from . import views

urlpatterns = [
    path("consent/withdraw/", views.withdraw, name="withdraw"),
]
