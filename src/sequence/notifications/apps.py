from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "sequence.notifications"
    label = "notifications"
    verbose_name = "Emails"
