from django.urls import path

from . import views

urlpatterns = [
    path("my-data/", views.my_data, name="my_data"),
    path("my-data/open/<str:token>/", views.my_data_open, name="my_data_open"),
    path("my-data/act/", views.my_data_act, name="my_data_act"),
]
