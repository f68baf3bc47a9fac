from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "sequence.catalog"
    label = "catalog"
