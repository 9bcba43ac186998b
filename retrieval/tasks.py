"""Celery edges for the search index: take identifiers, call the service of the same name."""

from __future__ import annotations

from celery import shared_task

from retrieval import encoder_versions, services, sync


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def index_sync(slugs: list[str] | None = None) -> dict[str, int]:
    return sync.index_sync(slugs=slugs).as_dict()


@shared_task
def index_rebuild(rebuild_id: int) -> str:
    return services.index_rebuild_run(rebuild_id=rebuild_id).status


@shared_task
def embedding_version_train(version_id: int) -> str:
    return encoder_versions.embedding_version_train(version_id=version_id).status


@shared_task
def encoder_switch(version_id: int) -> None:
    encoder_versions.encoder_switch(version_id=version_id)
