"""Celery edges for fine-tuning: take primary keys, call the service of the same name."""

from __future__ import annotations

from celery import shared_task

from training import services


@shared_task
def training_run_execute(run_id: int) -> str:
    return services.training_run_execute(run_id=run_id).status


@shared_task
def model_version_evaluate(version_id: int) -> dict:
    return services.model_version_evaluate(version_id=version_id).metrics.get("evaluation", {})
