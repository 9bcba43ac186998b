"""Project package and the catalogue app. The Celery app loads with Django so tasks can be sent."""
from marketplace.celery import app as celery_app

__all__ = ["celery_app"]
