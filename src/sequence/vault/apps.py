from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "sequence.vault"
    label = "vault"
