from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "parcours.conversations"
    label = "conversations"
