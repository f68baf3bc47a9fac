from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "sequence.portfolio"
    label = "portfolio"
    verbose_name = "Client performance"
