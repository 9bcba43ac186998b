"""Fine-tuning jobs and the model versions they produce; the promoted version writes the chat's replies."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class TrainingRun(models.Model):
    """One fine-tuning job, written as it goes so admin can follow it and a crash still says why."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Trigger(models.TextChoices):
        CLI = "cli", "Command line"
        ADMIN = "admin", "Admin action"

    class Phase(models.TextChoices):
        DATASET = "dataset", "Building the dataset"
        LOAD = "load", "Loading the model"
        EVALUATE_BEFORE = "evaluate_before", "Evaluating before training"
        TRAIN = "train", "Training"
        EVALUATE_AFTER = "evaluate_after", "Evaluating after training"
        SAVE = "save", "Saving the adapter"

    LIVE = (Status.PENDING, Status.RUNNING)
    STALLED_AFTER_SECONDS = 600  # no progress written for this long: the worker is likely gone or stuck

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.CLI)
    config = models.JSONField(default=dict, blank=True, help_text="Every hyperparameter the run used.")
    dataset_path = models.CharField(max_length=500, blank=True)
    counts = models.JSONField(default=dict, blank=True, help_text="Examples by source and split.")
    step = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    loss = models.FloatField(null=True, blank=True, help_text="Training loss at the last step.")
    eta_seconds = models.PositiveIntegerField(null=True, blank=True)
    loss_history = models.JSONField(default=list, blank=True, help_text="[step, loss] pairs for the chart.")
    phase = models.CharField(max_length=16, choices=Phase.choices, blank=True)
    phase_done = models.PositiveIntegerField(default=0)
    phase_total = models.PositiveIntegerField(default=0)
    phase_started_at = models.DateTimeField(null=True, blank=True)
    phase_seconds = models.JSONField(default=dict, blank=True, help_text="Wall time of each finished phase.")
    estimate_seconds = models.JSONField(default=dict, blank=True, help_text="Expected seconds by phase.")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="When progress was last written.")
    log = models.TextField(blank=True)
    metrics = models.JSONField(default=dict, blank=True, help_text="Evaluation before and after training.")
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One training job at a time: at most one row is pending or running.
            models.UniqueConstraint(
                models.Value(1), condition=models.Q(status__in=["pending", "running"]), name="trainingrun_one_live"
            ),
        ]

    def __str__(self) -> str:
        return f"Training run #{self.pk} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE

    @property
    def progress(self) -> float:
        return self.step / self.total_steps if self.total_steps else 0.0

    @property
    def is_stalled(self) -> bool:
        """Running, but nothing written for STALLED_AFTER_SECONDS."""
        last = self.heartbeat_at or self.started_at
        return (
            self.status == self.Status.RUNNING
            and last is not None
            and (timezone.now() - last).total_seconds() > self.STALLED_AFTER_SECONDS
        )


class ModelVersion(models.Model):
    """A trained adapter on a base model; the active one writes the chat's replies."""

    class Status(models.TextChoices):
        READY = "ready", "Ready"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    number = models.PositiveIntegerField(unique=True)
    base_model = models.CharField(max_length=500, blank=True, help_text="Empty: the packaged SmolLM2.")
    adapter_path = models.CharField(max_length=500)
    merged_path = models.CharField(max_length=500, blank=True, help_text="Merged full model, when exported.")
    training_run = models.OneToOneField(
        TrainingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="model_version"
    )
    training_config = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.READY)
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="What was active before this was promoted; rollback returns to it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    promotion_override = models.TextField(
        blank=True, help_text="Why it was promoted although it scored worse than what served (empty: it did not)."
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="modelversion_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.number}"
