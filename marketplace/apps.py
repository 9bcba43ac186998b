from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Catalogue"

    def ready(self) -> None:
        from marketplace import celery  # noqa: F401 - the Celery app loads with Django so tasks can be sent
