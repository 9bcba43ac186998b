"""Reads for fine-tuning: the serving model version (cached briefly), live runs, progress for admin."""

from __future__ import annotations

import threading
import time

from django.conf import settings

from training.models import ModelVersion, TrainingRun

_serving_lock = threading.Lock()
_serving: tuple[float, tuple[str, str] | None] = (0.0, None)  # (valid until, (base model, adapter))


def model_version_serving() -> tuple[str, str] | None:
    """(base model, adapter path) of the promoted version, or None when the base model serves.

    Looked up at most every TRAINING_ACTIVE_VERSION_TTL seconds per process (the chat asks on every
    reply), and forgotten at once in the process that promotes or rolls back; other processes (the
    server when a worker promoted) pick the change up within the TTL, without a restart.
    """
    global _serving
    with _serving_lock:
        until, value = _serving
        if time.monotonic() < until:
            return value
        active = (
            ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE)
            .values_list("base_model", "adapter_path")
            .first()
        )
        _serving = (time.monotonic() + settings.TRAINING_ACTIVE_VERSION_TTL, active)
        return active


def model_version_serving_forget() -> None:
    global _serving
    with _serving_lock:
        _serving = (0.0, None)


def model_version_active() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()


def model_version_find(*, reference: str) -> ModelVersion:
    """A version by its label ("v3") or number ("3"); ModelVersion.DoesNotExist otherwise."""
    label = reference.strip().lower().removeprefix("v")
    if not label.isdigit():
        raise ModelVersion.DoesNotExist(f"{reference!r} is not a version label like v3")
    return ModelVersion.objects.get(number=int(label))


def training_run_live() -> TrainingRun | None:
    return TrainingRun.objects.filter(status__in=TrainingRun.LIVE).first()


def training_run_progress(*, run_ids: list[int]) -> dict[str, dict]:
    """What the admin's progress bars poll: status, step, loss and ETA per run."""
    runs = TrainingRun.objects.filter(pk__in=run_ids).only(
        "status", "step", "total_steps", "loss", "eta_seconds", "cancel_requested"
    )
    return {
        str(run.pk): {
            "status": run.status,
            "label": run.get_status_display(),
            "step": run.step,
            "total_steps": run.total_steps,
            "percent": round(run.progress * 100, 1),
            "loss": run.loss,
            "eta_seconds": run.eta_seconds,
            "cancel_requested": run.cancel_requested,
        }
        for run in runs
    }


def metric_change(metrics: dict, key: str, digits: int = 3) -> str:
    """A metric before and after training, as shown in admin and by `model_versions`: "2.310 → 1.870"."""

    def value(side: str) -> str:
        item = metrics.get(side, {})
        found = item.get("grounded", {}).get("rate") if key == "grounded" else item.get(key)
        return "—" if found is None else f"{found:.{digits}f}"

    return f"{value('before')} → {value('after')}"
