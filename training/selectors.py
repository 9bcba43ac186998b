"""Reads for fine-tuning: the serving model version (cached briefly), live runs, progress for admin."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

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


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def training_run_progress_text(run: TrainingRun) -> str:
    """What a run is doing, for admin's bar: phase, its progress, loss while training, ETA of the whole run."""
    if run.status != TrainingRun.Status.RUNNING or not run.phase:
        return run.get_status_display() + (" · cancelling" if run.cancel_requested and run.is_live else "")
    parts = [run.get_phase_display()]
    if run.phase_total:
        training = run.phase == TrainingRun.Phase.TRAIN
        parts.append(f"step {run.phase_done}/{run.phase_total}" if training else f"{run.phase_done}/{run.phase_total}")
    if run.phase == TrainingRun.Phase.TRAIN and run.loss is not None:
        parts.append(f"loss {run.loss:.3f}")
    if run.eta_seconds is not None:
        parts.append(f"ETA {duration(run.eta_seconds)}")
    if run.is_stalled:
        parts.append(f"STALLED: no progress since {run.heartbeat_at or run.started_at:%H:%M:%S}")
    if run.cancel_requested:
        parts.append("cancelling")
    return " · ".join(parts)


def training_run_progress(*, run_ids: list[int]) -> dict[str, dict]:
    """What the admin's progress bars poll: status, the current phase's progress and the text to show."""
    runs = TrainingRun.objects.filter(pk__in=run_ids)
    return {
        str(run.pk): {
            "status": run.status,
            "live": run.is_live,
            "done": run.phase_done,
            "total": run.phase_total,
            "stalled": run.is_stalled,
            "text": training_run_progress_text(run),
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


def training_set_samples(run: TrainingRun, per_source: int = 2) -> list[dict]:
    """A few training examples of each source from the run's saved dataset (need and target), for admin."""
    path = Path(run.dataset_path) / "train.jsonl" if run.dataset_path else None
    if path is None or not path.is_file():
        return []
    shown: dict[str, int] = {}
    samples = []
    with path.open(encoding="utf-8") as file:
        for line in file:
            row = json.loads(line)
            if shown.get(row["source"], 0) < per_source:
                shown[row["source"]] = shown.get(row["source"], 0) + 1
                samples.append({"source": row["source"], "need": row["need"], "target": row["messages"][-1]["content"]})
    return samples
