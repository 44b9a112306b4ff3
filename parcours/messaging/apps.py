from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "parcours.messaging"
    label = "messaging"
