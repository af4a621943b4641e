from django.urls import path

from . import views

urlpatterns = [
    path("consent/confirm/<str:token>/", views.confirm_notifications, name="confirm_notifications"),
    path("consent/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("reaccept/<str:token>/", views.reaccept, name="reaccept"),
]
