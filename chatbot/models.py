"""Conversations and their messages: every step of a chat, for admin, training data and analytics."""
from __future__ import annotations

import uuid

from django.db import models


class Conversation(models.Model):
    class Outcome(models.TextChoices):
        OPEN = "open", "Open"
        SATISFIED = "satisfied", "Satisfied"
        UNSATISFIED = "unsatisfied", "Unsatisfied"

    session_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    origin = models.CharField(max_length=255, blank=True, help_text="The site the widget was embedded on.")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.OPEN)
    state = models.JSONField(default=dict, blank=True, help_text="Dialogue state between frames.")
    generation_params = models.JSONField(default=dict, blank=True, help_text="Per-session overrides.")
    exported_at = models.DateTimeField(null=True, blank=True, help_text="When it was sent to LOGGING_URL.")

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["outcome", "-updated_at"], name="conversation_outcome")]

    def __str__(self) -> str:
        return f"Conversation {self.session_id}"


class Message(models.Model):
    class Role(models.TextChoices):
        VISITOR = "visitor", "Visitor"
        ASSISTANT = "assistant", "Assistant"

    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"
        ANSWER = "answer", "Answer to a question"
        FEEDBACK = "feedback", "Feedback"
        MORE = "more", "Show more"
        RESET = "reset", "Reset"
        REPLY = "reply", "Reply"

    conversation = models.ForeignKey(Conversation, related_name="messages", on_delete=models.CASCADE)
    turn = models.PositiveIntegerField(default=0)
    role = models.CharField(max_length=16, choices=Role.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.TextField(blank=True)
    cards = models.JSONField(default=list, blank=True, help_text="Cards shown, as sent.")
    question = models.JSONField(null=True, blank=True, help_text="The follow-up question asked, with options.")
    feedback = models.JSONField(null=True, blank=True, help_text="Satisfied/unsatisfied, or a card's up/down.")
    generation = models.JSONField(default=dict, blank=True, help_text="Backend, parameters, guard corrections.")
    first_card_ms = models.PositiveIntegerField(null=True, blank=True)
    first_token_ms = models.PositiveIntegerField(null=True, blank=True)
    total_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "turn"], name="message_conversation_turn")]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.kind} (turn {self.turn})"


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

    LIVE = (Status.PENDING, Status.RUNNING)

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
            models.UniqueConstraint(models.Value(1), condition=models.Q(status__in=["pending", "running"]),
                                    name="trainingrun_one_live"),
        ]

    def __str__(self) -> str:
        return f"Training run #{self.pk} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE

    @property
    def progress(self) -> float:
        return self.step / self.total_steps if self.total_steps else 0.0


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
    training_run = models.OneToOneField(TrainingRun, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="model_version")
    training_config = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.READY)
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 help_text="What was active before this was promoted; rollback returns to it.")
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=models.Q(status="active"),
                                    name="modelversion_one_active"),
        ]

    def __str__(self) -> str:
        return f"v{self.number}"
