"""An index rebuild an admin started: visible in admin from the click until it ends, with its outcome."""

from __future__ import annotations

from django.db import models


class IndexRebuild(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    report = models.JSONField(default=dict, blank=True, help_text="Add-ons embedded, updated, unchanged, removed.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Index rebuild #{self.pk}"


class Evidence(models.Model):
    """One thing a visitor did with a card, for the need they had: what the feedback memory learns from."""

    class Signal(models.TextChoices):
        SATISFIED = "satisfied", "Said “That's it!”"
        UP = "up", "Voted up"
        CLICK = "click", "Opened the add-on"
        DOWN = "down", "Voted down"

    need = models.TextField(help_text="The need the card was shown for, as the search ran it.")
    vector = models.BinaryField(help_text="The need's embedding (float32), so the memory never re-embeds.")
    addon = models.ForeignKey("marketplace.Addon", on_delete=models.CASCADE, related_name="+")
    signal = models.CharField(max_length=16, choices=Signal.choices)
    session = models.CharField(max_length=64, help_text="The conversation it came from.")
    client = models.CharField(max_length=64, help_text="Who sent it (a salted hash of the address): counted once.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "evidence"
        constraints = [
            # One row per session, add-on and signal: a hundred up-votes from one chat are one.
            models.UniqueConstraint(fields=["session", "addon", "signal"], name="evidence_once_per_session"),
        ]

    def __str__(self) -> str:
        return f"{self.signal} for {self.addon_id} on “{self.need[:40]}”"


class EmbeddingVersion(models.Model):
    """A fine-tuned sentence encoder: trained by a job on what visitors' needs found, compared on held-out needs
    with the encoder serving, and promoted (the index is re-embedded into its own collection, then searches
    switch to it) or rolled back. With no version active, the base model (EMBEDDING_MODEL) serves."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        TRAINING = "training", "Training"
        EVALUATING = "evaluating", "Evaluating"
        READY = "ready", "Ready"
        INDEXING = "indexing", "Re-embedding the index"
        SERVING = "serving", "Serving"
        RETIRED = "retired", "Retired"
        FAILED = "failed", "Failed"

    number = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    base_model = models.CharField(max_length=500, help_text="The encoder it was fine-tuned from.")
    path = models.CharField(max_length=500, blank=True, help_text="The saved sentence-transformers model.")
    config = models.JSONField(default=dict, blank=True, help_text="Steps, batch, learning rate, seed.")
    counts = models.JSONField(default=dict, blank=True, help_text="Training and held-out pairs by source.")
    metrics = models.JSONField(default=dict, blank=True, help_text="Held-out needs: serving encoder vs this one.")
    loss_history = models.JSONField(default=list, blank=True, help_text="[step, loss] pairs for the chart.")
    progress = models.CharField(max_length=200, blank=True, help_text="What the job is doing now.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    promoted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="serving"), name="one_serving_embedding_version"
            )
        ]

    def __str__(self) -> str:
        return f"Encoder v{self.number}"

    @property
    def collection_suffix(self) -> str:
        """Its vectors' collection is CHROMA_COLLECTION plus this: the base model's has none."""
        return f"-v{self.number}"

    @property
    def beats_serving(self) -> bool:
        """Better than what served when it was evaluated, on held-out visitors' needs (nDCG@5): the promote
        gate (with enough of those needs: retrieval.encoder_versions)."""
        candidate, serving = self.metrics.get("candidate", {}), self.metrics.get("serving", {})
        return bool(candidate) and candidate.get("nDCG@5", 0.0) > serving.get("nDCG@5", 0.0)
