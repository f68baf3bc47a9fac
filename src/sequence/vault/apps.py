from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "sequence.vault"
    label = "vault"
    verbose_name = "Vault (sealed exchange credentials)"

    def ready(self) -> None:
        from sequence.vault import checks  # noqa: F401 - registers the system checks
