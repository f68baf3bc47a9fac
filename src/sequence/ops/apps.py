from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "sequence.ops"
    label = "ops"
    verbose_name = "Operator console and audit log"
