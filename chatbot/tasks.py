"""Celery edges for the concierge: take identifiers, call the service of the same name."""
from __future__ import annotations

import threading

from celery import Task, shared_task
from django.conf import settings
from django.db import connections, transaction

from chatbot import services
from chatbot.retrieval import sync
from chatbot.training import services as training


def enqueue(task: Task, *args: object) -> None:
    """Hand a task to Celery once the current transaction commits.

    With a broker (REDIS_URL) a worker runs it. Without one Celery is eager, and a long job (training,
    re-indexing) would hold the admin request that started it for minutes, so it runs in a background
    thread of this process instead; its progress is on its own row either way.
    """
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(lambda: task.delay(*args))
        return

    def run() -> None:
        try:
            task.apply(args=args)
        finally:
            connections.close_all()

    transaction.on_commit(lambda: threading.Thread(target=run, name=f"task-{task.name}", daemon=True).start())


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def index_sync(slugs: list[str] | None = None) -> dict[str, int]:
    return sync.index_sync(slugs=slugs).as_dict()


@shared_task
def index_rebuild() -> dict[str, int]:
    return sync.index_rebuild().as_dict()


@shared_task
def conversation_export(conversation_id: int) -> bool:
    return services.conversation_export(conversation_id=conversation_id)


@shared_task
def training_set_build(run_id: int) -> dict:
    return training.training_set_build(run_id=run_id).counts


@shared_task
def training_run_execute(run_id: int) -> str:
    return training.training_run_execute(run_id=run_id).status


@shared_task
def model_version_evaluate(version_id: int) -> dict:
    return training.model_version_evaluate(version_id=version_id).metrics.get("evaluation", {})


@shared_task
def model_version_promote(version_id: int) -> str:
    return str(training.model_version_promote(version_id=version_id))


@shared_task
def model_version_rollback() -> str:
    return str(training.model_version_rollback() or "base model")
