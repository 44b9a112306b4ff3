from django.urls import path

from parcours.privacy import views

app_name = "privacy"

urlpatterns = [
    path("demandes/", views.requests, name="requests"),
    path("demandes/<uuid:public_id>/", views.request_detail, name="request_detail"),
]
