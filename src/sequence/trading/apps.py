from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "sequence.trading"
    label = "trading"
    verbose_name = "Bots and the engine"
