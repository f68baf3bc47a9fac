from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "sequence.compliance"
    label = "compliance"
    verbose_name = "Funds rules and compliance"

    def ready(self) -> None:
        from sequence.compliance.monitors import on_step
        from sequence.trading.hooks import register_step_monitor

        register_step_monitor(on_step)
