"""Writes for fine-tuning: start, execute and cancel a training run; create, promote, roll back and
evaluate model versions.

A run only ever adds a READY version; what the chat serves changes only through promote and rollback,
so a failed or cancelled run never touches the active model.
"""

from __future__ import annotations

import gc
import logging
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from marketplace.jobs import enqueue
from marketplace.selectors import addon_names
from training import dataset
from training.config import TrainingConfig
from training.estimate import training_estimate
from training.models import ModelVersion, TrainingRun
from training.selectors import model_version_serving_forget, training_run_live

if TYPE_CHECKING:
    from training.trainer import StepReport

# torch, transformers and peft take seconds to import: only the functions that train or evaluate do.

logger = logging.getLogger(__name__)
CHART_POINTS = 400  # loss history kept for the chart; older points are thinned out, never the newest


class TrainingRunError(Exception):
    """A training run cannot do what was asked (cancel a finished run...)."""


class TrainingBusy(TrainingRunError):
    """Another training run is pending or running: one job at a time."""


class VersionError(Exception):
    """A promote or rollback that cannot happen (missing adapter, nothing to roll back...)."""


class PromotionRefused(VersionError):
    """The version scores worse than what serves: promoting it needs `force` and a reason."""

    def __init__(self, version: ModelVersion, worse: list[str]) -> None:
        self.worse = worse
        super().__init__(
            f"{version} scores worse than what serves ({'; '.join(worse)}): promote it anyway with a reason"
        )


# Held-out figures the promote gate compares: key in metrics["after"]["grounded"], label, higher is better.
GATED_FIGURES = (
    ("rate", "names the right add-on", True),
    ("supported_rate", "supported sentences", True),
    ("invented", "invented add-ons", False),
)


def run_directory(run: TrainingRun) -> Path:
    return settings.TRAINING_DIR / f"run-{run.pk}"


def _log(run: TrainingRun, line: str) -> None:
    stamp = timezone.now().strftime("%H:%M:%S")
    run.log = f"{run.log}{stamp} {line}\n"
    TrainingRun.objects.filter(pk=run.pk).update(log=run.log)
    logger.info("training run %s: %s", run.pk, line)


def training_run_start(*, trigger: str = TrainingRun.Trigger.CLI, overrides: dict | None = None) -> TrainingRun:
    """Create a pending run with its full config and hand it to Celery; TrainingBusy when one is live."""
    config = TrainingConfig.from_settings(**(overrides or {}))  # ConfigError before anything is stored
    live = training_run_live()
    if live is not None:
        raise TrainingBusy(f"training run #{live.pk} is still {live.status}; cancel it or wait for it to finish")
    run = TrainingRun(trigger=trigger, config=config.as_dict())
    run.full_clean(validate_constraints=False)  # the one-live-run constraint is the database's to enforce
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError as error:  # another start won the race
        raise TrainingBusy("another training run started a moment ago") from error
    enqueue("training.tasks.training_run_execute", run.pk)
    return run


def training_run_cancel(*, run_id: int) -> TrainingRun:
    """A pending run is cancelled at once; a running one stops after its current step. Cancelling a
    running run a second time marks it cancelled at once, for a run whose worker died."""
    run = TrainingRun.objects.get(pk=run_id)
    if not run.is_live:
        raise TrainingRunError(f"training run #{run.pk} already {run.status}")
    now = timezone.now()
    if TrainingRun.objects.filter(pk=run.pk, status=TrainingRun.Status.PENDING).update(
        status=TrainingRun.Status.CANCELLED, cancel_requested=True, finished_at=now
    ):
        run.refresh_from_db()
        _log(run, "cancelled before it started")
        return run
    if run.cancel_requested:  # asked twice: its worker may be gone, so free the slot for a new run
        _finish(run, TrainingRun.Status.CANCELLED)
        _log(run, "cancelled again: marked cancelled without waiting for its worker")
        return run
    TrainingRun.objects.filter(pk=run.pk).update(cancel_requested=True)
    run.refresh_from_db()
    _log(run, "cancel requested; stopping after the current step")
    return run


def training_set_build(*, run_id: int) -> dataset.DatasetFiles:
    """The run's dataset from the catalogue and good conversations, saved as JSONL; counts on the run."""
    from training.trainer import load_tokenizer

    run = TrainingRun.objects.get(pk=run_id)
    config = TrainingConfig.from_dict(run.config)
    examples, dropped = dataset.examples_for(config.sources, seed=config.seed)
    files = dataset.training_set_write(
        examples=examples,
        tokenizer=load_tokenizer(config.base_model),
        directory=run_directory(run) / "dataset",
        fraction=config.validation_fraction,
        seed=config.seed,
    )
    files.counts["dropped_unverified"] = dropped
    TrainingRun.objects.filter(pk=run.pk).update(dataset_path=str(files.train.parent), counts=files.counts)
    return files


class _Phases:
    """Writes the run's phase, its progress and ETA, and a heartbeat, from the first second; times each
    phase. The ETA is what is left of this phase at its pace so far, plus the estimate of the phases after."""

    def __init__(self, run: TrainingRun, estimate: dict[str, float]) -> None:
        self.run = run
        self.estimate = estimate
        self.seconds: dict[str, float] = {}
        self.phase = ""
        self.started = 0.0
        TrainingRun.objects.filter(pk=run.pk).update(estimate_seconds=estimate)

    def start(self, phase: str, total: int = 0) -> None:
        self._close()
        self.phase, self.started = phase, time.monotonic()
        now = timezone.now()
        TrainingRun.objects.filter(pk=self.run.pk).update(
            phase=phase,
            phase_done=0,
            phase_total=total,
            phase_started_at=now,
            heartbeat_at=now,
            phase_seconds=self.seconds,
            eta_seconds=round(self._later(phase) + self.estimate.get(phase, 0)),
        )

    def advance(self, done: int, total: int, **fields: object) -> None:
        elapsed = time.monotonic() - self.started
        left = elapsed / done * (total - done) if done else self.estimate.get(self.phase, 0)
        TrainingRun.objects.filter(pk=self.run.pk).update(
            phase_done=done,
            phase_total=total,
            heartbeat_at=timezone.now(),
            eta_seconds=round(left + self._later(self.phase)),
            **fields,
        )

    def finish(self) -> dict[str, float]:
        self._close()
        self.phase = ""
        TrainingRun.objects.filter(pk=self.run.pk).update(phase_seconds=self.seconds)
        return self.seconds

    def _close(self) -> None:
        if self.phase:
            self.seconds[self.phase] = round(time.monotonic() - self.started, 1)

    def _later(self, phase: str) -> float:
        order = list(TrainingRun.Phase.values)
        return sum(self.estimate.get(later, 0) for later in order[order.index(phase) + 1 :])


class _Progress:
    """Writes each optimizer step to the run row and says whether to go on (no cancel requested)."""

    def __init__(self, run: TrainingRun, phases: _Phases) -> None:
        self.run = run
        self.phases = phases
        self.history: list[list[float]] = []
        self.first_plan = 0  # the run's length as configured
        self.planned = 0  # and as last logged: a time budget shortens it, first at PACE_STEPS, then as the pace shows

    def __call__(self, report: StepReport) -> bool:
        self.history.append([report.step, round(report.loss, 4)])
        if len(self.history) > CHART_POINTS:
            self.history = self.history[:-1:2] + self.history[-1:]
        self.phases.advance(
            report.step,
            report.total_steps,
            step=report.step,
            total_steps=report.total_steps,
            loss=report.loss,
            loss_history=self.history,
        )
        logged_step = report.step == 1 or report.step == report.total_steps or report.step % 10 == 0
        if not self.planned:
            self.planned = self.first_plan = report.total_steps
        elif report.total_steps != self.planned and (self.planned == self.first_plan or logged_step):
            _log(self.run, f"{report.total_steps} of {self.first_plan} steps fit the time budget at this pace")
            self.planned = report.total_steps
        if logged_step:
            _log(
                self.run,
                f"step {report.step}/{report.total_steps} loss {report.loss:.4f} lr {report.learning_rate:.2e}",
            )
        return not TrainingRun.objects.filter(pk=self.run.pk, cancel_requested=True).exists()


def _finish(run: TrainingRun, status: str, **fields) -> TrainingRun:
    TrainingRun.objects.filter(pk=run.pk).update(
        status=status, finished_at=timezone.now(), eta_seconds=None, phase="", **fields
    )
    run.refresh_from_db()
    return run


def _train_and_version(run: TrainingRun, config: TrainingConfig) -> ModelVersion:
    from training.evaluation import evaluate, held_out_needs
    from training.trainer import encode, load_for_training, merge_export, padding_id, save_adapter, train

    phases = _Phases(run, training_estimate(config))
    phases.start(TrainingRun.Phase.DATASET)
    files = training_set_build(run_id=run.pk)
    run.refresh_from_db()
    _log(run, f"dataset: {files.counts['train']} training and {files.counts['validation']} validation examples")
    phases.start(TrainingRun.Phase.LOAD)
    _log(
        run,
        f"loading {config.base_model or 'the packaged SmolLM2-135M-Instruct'} "
        f"({'4-bit NF4, double quantisation' if config.load_in_4bit else 'full precision'}) on {config.device}",
    )
    model, tokenizer = load_for_training(config)
    validation = dataset.read_jsonl(files.validation)
    items = encode(dataset.read_jsonl(files.train), tokenizer, config.max_seq_length)
    names = addon_names()
    samples = len(held_out_needs(validation, config.grounded_samples, config.seed))
    phases.start(TrainingRun.Phase.EVALUATE_BEFORE, samples)
    before = evaluate(model, tokenizer, validation, config, names, phases.advance)
    TrainingRun.objects.filter(pk=run.pk).update(metrics={"before": before})
    _log(run, f"before: {evaluation_summary(before)}")
    phases.start(TrainingRun.Phase.TRAIN, config.total_steps(len(items)))
    result = train(model, items, config=config, pad_id=padding_id(tokenizer), on_step=_Progress(run, phases))
    phases.start(TrainingRun.Phase.EVALUATE_AFTER, samples)
    after = evaluate(model, tokenizer, validation, config, names, phases.advance)
    metrics = {
        "before": before,
        "after": after,
        "training": {
            "steps": result.steps,
            "examples_seen": result.examples_seen,
            "seconds": round(result.seconds, 1),
            "samples_per_second": round(result.samples_per_second, 3),
            "first_loss": result.first_loss,
            "last_loss": result.last_loss,
        },
    }
    TrainingRun.objects.filter(pk=run.pk).update(metrics=metrics)
    _log(run, f"after: {evaluation_summary(after)}")
    phases.start(TrainingRun.Phase.SAVE)
    adapter = save_adapter(model, tokenizer, run_directory(run) / "adapter")
    del model
    gc.collect()
    merged = (
        merge_export(base_model=config.base_model, adapter=adapter, directory=run_directory(run) / "merged")
        if config.merge
        else None
    )
    metrics["phase_seconds"] = phases.finish()
    TrainingRun.objects.filter(pk=run.pk).update(metrics=metrics)
    return model_version_create(run=run, adapter=adapter, merged=merged, metrics=metrics)


def evaluation_summary(evaluation: dict) -> str:
    grounded = evaluation["grounded"]
    return (
        f"validation loss {evaluation['validation_loss']}, names the right add-on {grounded['named_right']}/"
        f"{grounded['samples']}, supported sentences {grounded['supported_sentences']}/{grounded['sentences']}, "
        f"invented add-ons {grounded['invented']}"
    )


def training_run_execute(*, run_id: int) -> TrainingRun:
    """Build the dataset, evaluate, train, evaluate again, save the adapter and add a READY version."""
    from training.trainer import TrainingCancelled, TrainingDiverged

    if not TrainingRun.objects.filter(pk=run_id, status=TrainingRun.Status.PENDING).update(
        status=TrainingRun.Status.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    ):
        return TrainingRun.objects.get(pk=run_id)  # cancelled before it started, or already taken
    run = TrainingRun.objects.get(pk=run_id)
    _log(run, "started")
    try:
        version = _train_and_version(run, TrainingConfig.from_dict(run.config))
    except TrainingCancelled as stop:
        _log(run, str(stop))
        return _finish(run, TrainingRun.Status.CANCELLED)
    except TrainingDiverged as error:
        _log(run, f"stopped: {error}")
        return _finish(run, TrainingRun.Status.FAILED, error=f"Training diverged: {error}")
    except Exception as error:  # noqa: BLE001 - whatever broke, the row must say why
        logger.exception("training run %s failed", run.pk)
        _log(run, "failed:\n" + traceback.format_exc())
        return _finish(run, TrainingRun.Status.FAILED, error=f"{type(error).__name__}: {error}")
    finally:
        gc.collect()
    _log(run, f"created model version {version}")
    return _finish(run, TrainingRun.Status.SUCCEEDED)


def model_version_create(*, run: TrainingRun, adapter: Path, merged: Path | None, metrics: dict) -> ModelVersion:
    with transaction.atomic():
        number = (ModelVersion.objects.select_for_update().aggregate(top=Max("number"))["top"] or 0) + 1
        version = ModelVersion(
            number=number,
            base_model=run.config.get("base_model", ""),
            adapter_path=str(adapter),
            merged_path=str(merged or ""),
            training_run=run,
            training_config=run.config,
            metrics=metrics,
        )
        version.full_clean()
        version.save()
    return version


def _forget_serving() -> None:
    model_version_serving_forget()
    transaction.on_commit(model_version_serving_forget)


def promotion_worse(version: ModelVersion, serving: ModelVersion | None) -> list[str]:
    """Where the version's held-out figures are worse than those of what serves: the promoted version, or
    the base model (this version's run measured it before training) when none is."""
    baseline = (serving.metrics if serving else version.metrics).get("after" if serving else "before") or {}
    candidate = version.metrics.get("after") or {}
    worse = []
    for key, label, higher in GATED_FIGURES:
        ours, theirs = candidate.get("grounded", {}).get(key), baseline.get("grounded", {}).get(key)
        if ours is not None and theirs is not None and (ours < theirs if higher else ours > theirs):
            worse.append(f"{label} {ours:.2f} against {theirs:.2f}")
    return worse


def model_version_promote(*, version_id: int, force: bool = False, reason: str = "") -> ModelVersion:
    """Make this version write the chat's replies; the one it replaces is remembered for rollback.

    A version scoring worse than what serves (GATED_FIGURES) is refused (PromotionRefused) unless `force`,
    with a reason, which is recorded on the version."""
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=version_id)
        current = ModelVersion.objects.select_for_update().filter(status=ModelVersion.Status.ACTIVE).first()
        if current == version:
            return version
        if not (Path(version.adapter_path) / "adapter_config.json").is_file():
            raise VersionError(f"{version}: no adapter at {version.adapter_path}")
        worse = promotion_worse(version, current)
        if worse and not force:
            raise PromotionRefused(version, worse)
        if worse and not reason.strip():
            raise VersionError(f"{version} scores worse than what serves: say why it is promoted anyway")
        version.promotion_override = f"{reason.strip()} (scored worse: {'; '.join(worse)})" if worse else ""
        if current is not None:
            current.status = ModelVersion.Status.RETIRED
            current.save(update_fields=["status"])
        version.previous = current
        version.status = ModelVersion.Status.ACTIVE
        version.promoted_at = timezone.now()
        version.save(update_fields=["previous", "status", "promoted_at", "promotion_override"])
    _forget_serving()
    return version


def model_version_rollback() -> ModelVersion | None:
    """Return to what served before the active version: the previous version, or the base model (None)."""
    with transaction.atomic():
        current = ModelVersion.objects.select_for_update().filter(status=ModelVersion.Status.ACTIVE).first()
        if current is None:
            raise VersionError("no version is promoted: the base model already serves")
        previous = current.previous
        current.status = ModelVersion.Status.RETIRED
        current.save(update_fields=["status"])
        if previous is not None:
            previous.status = ModelVersion.Status.ACTIVE
            previous.promoted_at = timezone.now()
            previous.save(update_fields=["status", "promoted_at"])
    _forget_serving()
    return previous


def model_version_evaluate_start(*, version_id: int) -> None:
    """Mark the version's evaluation pending (admin shows it from the click on) and enqueue it."""
    _evaluation_mark(version_id, {"status": "pending"})
    enqueue("training.tasks.model_version_evaluate", version_id)


def _evaluation_mark(version_id: int, evaluation: dict) -> None:
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=version_id)
        version.metrics = {**version.metrics, "evaluation": {**evaluation, "at": timezone.now().isoformat()}}
        version.save(update_fields=["metrics"])


def model_version_evaluate(*, version_id: int) -> ModelVersion:
    """Measure a version again on its run's held-out set (e.g. with more grounded samples); the outcome,
    failure included, is stored on the version for admin."""
    from chatbot.llm.transformers_backend import load_model
    from training.evaluation import evaluate

    _evaluation_mark(version_id, {"status": "running"})
    version = ModelVersion.objects.select_related("training_run").get(pk=version_id)
    try:
        if version.training_run is None or not version.training_run.dataset_path:
            raise VersionError(f"{version}: its training run and dataset are gone")
        config = TrainingConfig.from_dict(version.training_config)
        model, tokenizer = load_model(version.base_model, version.adapter_path, config.load_in_4bit, config.device)
        validation = dataset.read_jsonl(Path(version.training_run.dataset_path) / "validation.jsonl")

        def progress(done: int, total: int) -> None:
            _evaluation_mark(version_id, {"status": "running", "done": done, "total": total})

        result = {**evaluate(model, tokenizer, validation, config, addon_names(), progress), "status": "succeeded"}
    except Exception as error:
        _evaluation_mark(version_id, {"status": "failed", "error": f"{type(error).__name__}: {error}"})
        raise
    _evaluation_mark(version_id, result)
    version.refresh_from_db()
    return version
