from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "sequence.web"
    label = "web"
    verbose_name = "Public pages and the client dashboard"
