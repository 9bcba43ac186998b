"""The catalogue: add-ons and their categories, as the chat and the storefront read them."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from marketplace.records import AddonSource


class Category(models.Model):
    """An AMO extension category (``privacy-security``, ``tabs``...)."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=128)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Addon(models.Model):
    """One listed add-on. Text from outside is stored sanitised (HTML) and as plain text (search, LLM)."""

    amo_id = models.PositiveBigIntegerField(null=True, blank=True, unique=True)
    guid = models.CharField(max_length=255, blank=True)
    slug = models.SlugField(max_length=255, unique=True, allow_unicode=True)
    name = models.CharField(max_length=255)
    summary = models.TextField(blank=True, help_text="Sanitised HTML.")
    summary_text = models.TextField(blank=True, help_text="Plain text for search and the language model.")
    description = models.TextField(blank=True, help_text="Sanitised HTML.")
    description_text = models.TextField(blank=True)
    icon_url = models.URLField(max_length=500, blank=True)
    url = models.URLField(max_length=500, help_text="Canonical AMO page.")
    categories = models.ManyToManyField(Category, related_name="addons", blank=True)
    tags = models.JSONField(default=list, blank=True)
    average_daily_users = models.PositiveIntegerField(null=True, blank=True)
    rating = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(5)])
    rating_count = models.PositiveIntegerField(null=True, blank=True)
    version = models.CharField(max_length=64, blank=True)
    license = models.CharField(max_length=255, blank=True)
    homepage = models.URLField(max_length=500, blank=True)
    permissions = models.JSONField(default=list, blank=True)
    host_permissions = models.JSONField(default=list, blank=True)
    needs_all_sites = models.BooleanField(default=False, help_text="Asks to read and change data on every website.")
    requires_payment = models.BooleanField(default=False)
    promoted = models.BooleanField(default=False, help_text="Promoted or recommended by the marketplace.")
    last_updated = models.DateTimeField(null=True, blank=True)
    source = models.CharField(
        max_length=16, choices=[(source.value, source.label) for source in AddonSource], default=AddonSource.API
    )
    content_hash = models.CharField(max_length=64, editable=False)
    first_seen_at = models.DateTimeField(default=timezone.now, editable=False)
    last_seen_at = models.DateTimeField(default=timezone.now, editable=False)
    changed_at = models.DateTimeField(
        default=timezone.now, editable=False, help_text="Last change a visitor or the search index can see."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-average_daily_users", "name"]
        indexes = [
            models.Index(fields=["is_active", "-average_daily_users"], name="addon_active_users"),
            models.Index(fields=["is_active", "-rating"], name="addon_active_rating"),
            models.Index(fields=["is_active", "requires_payment"], name="addon_active_free"),
            models.Index(fields=["is_active", "needs_all_sites"], name="addon_active_all_sites"),
            models.Index(fields=["content_hash"], name="addon_content_hash"),
            models.Index(fields=["changed_at"], name="addon_changed_at"),
        ]

    def __str__(self) -> str:
        return self.name
