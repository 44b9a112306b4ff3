from django.urls import path

from parcours.conversations import views

app_name = "conversations"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("accompagnements/<uuid:episode_id>/", views.episode_threads, name="episode_threads"),
    path("fils/<int:thread_id>/", views.thread, name="thread"),
    path("pieces/<int:attachment_id>/", views.attachment, name="attachment"),
]
