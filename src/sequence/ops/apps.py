from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "sequence.ops"
    label = "ops"
    verbose_name = "Operator console and audit log"

    def ready(self) -> None:
        # The console's emails (templates in ops/templates/emails/), both from the trading team.
        from sequence.notifications.kinds import Kind, register

        register(Kind("ops_keys_requested", from_trading_team=True))
        register(Kind("ops_message", from_trading_team=True))
