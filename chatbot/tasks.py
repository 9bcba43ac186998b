"""Celery edges for the concierge: take identifiers, call the service of the same name."""
from celery import shared_task

from chatbot import services
from chatbot.retrieval import sync


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def index_sync(slugs: list[str] | None = None) -> dict[str, int]:
    return sync.index_sync(slugs=slugs).as_dict()


@shared_task
def index_rebuild() -> dict[str, int]:
    return sync.index_rebuild().as_dict()


@shared_task
def conversation_export(conversation_id: int) -> bool:
    return services.conversation_export(conversation_id=conversation_id)
