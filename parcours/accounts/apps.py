from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "parcours.accounts"
    label = "accounts"

    def ready(self) -> None:
        from parcours.accounts import signals  # noqa: F401 - connects the receivers
