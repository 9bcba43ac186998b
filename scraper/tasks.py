"""Celery edges: take a primary key, call the service of the same name."""

from celery import shared_task

from scraper import services


@shared_task
def scrape_run_execute(run_id: int) -> str:
    return services.scrape_run_execute(run_id=run_id).status
