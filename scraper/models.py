"""ScrapeRun: one row per scrape or import, written as it goes so a crash still tells what happened."""

from __future__ import annotations

from django.db import models


class ScrapeRun(models.Model):
    class Kind(models.TextChoices):
        SCRAPE = "scrape", "Scrape AMO pages"
        IMPORT = "import", "Import AMO API JSON"
        HTML = "html", "Parse saved HTML"

    class Trigger(models.TextChoices):
        CLI = "cli", "Command line"
        ADMIN = "admin", "Admin action"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Finished with errors"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.CLI)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pages_fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    deactivated = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="Per-record and per-page problems.")
    failure = models.TextField(blank=True, help_text="Why the run stopped early, if it did.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"], name="scraperun_status_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"
