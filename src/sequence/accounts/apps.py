from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sequence.accounts"
    label = "accounts"
    verbose_name = "Accounts and sign-in"

    def ready(self) -> None:
        from sequence.config import checks  # noqa: F401 - registers the deployment checks
        from sequence.notifications.kinds import Kind, register

        # Security notices of this app whose templates live here (templates/emails/).
        for name in ("totp_disabled", "totp_replaced"):
            register(Kind(name))
