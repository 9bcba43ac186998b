"""Writes to the catalogue. Every source ends here as AddonRecords, sanitised and hashed."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from marketplace.amo import addon_page_url
from marketplace.categories import category_name
from marketplace.demo import demo_catalog
from marketplace.models import Addon, Category
from marketplace.records import AddonRecord, AddonSource
from marketplace.sanitize import clean_html, clean_url, html_to_text
from marketplace.sites import needs_all_sites


@dataclass
class ImportReport:
    """What a batch of records did to the catalogue."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    deactivated: int = 0
    errors: list[str] = field(default_factory=list)
    seen_slugs: set[str] = field(default_factory=set)

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deactivated

    def add(self, other: ImportReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.skipped += other.skipped
        self.deactivated += other.deactivated
        self.errors.extend(other.errors)
        self.seen_slugs |= other.seen_slugs

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "deactivated": self.deactivated,
        }


def _addon_values(record: AddonRecord) -> dict:
    """Sanitised model field values for a record (categories excluded)."""
    summary = clean_html(record.summary)
    description = clean_html(record.description)
    slug = record.slug.strip()
    return {
        "amo_id": record.amo_id,
        "guid": record.guid.strip(),
        "name": html_to_text(record.name)[:255] or slug,
        "summary": summary,
        "summary_text": html_to_text(summary),
        "description": description,
        "description_text": html_to_text(description),
        "icon_url": clean_url(record.icon_url),
        "url": clean_url(record.url) or addon_page_url(slug),
        "tags": sorted({html_to_text(tag) for tag in record.tags if tag}),
        "average_daily_users": record.average_daily_users,
        "rating": record.rating if record.rating is None or math.isfinite(record.rating) else None,  # NaN: unknown
        "rating_count": record.rating_count,
        "version": html_to_text(record.version)[:64],
        "license": html_to_text(record.license)[:255],
        "homepage": clean_url(record.homepage),
        "permissions": list(record.permissions),
        "host_permissions": list(record.host_permissions),
        "needs_all_sites": needs_all_sites([*record.permissions, *record.host_permissions]),
        "requires_payment": record.requires_payment,
        "promoted": record.promoted,
        "last_updated": record.last_updated,
        "source": record.source,
    }


def _content_hash(values: dict, categories: list[str]) -> str:
    """A digest of what a visitor or the index sees; provenance fields do not count."""
    content = {key: value for key, value in values.items() if key != "source"}
    content["categories"] = sorted(categories)
    payload = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def addons_changed_announce(*, slugs: Iterable[str]) -> None:
    """Tell CATALOGUE_CHANGED_HOOK which add-ons a write changed, once it commits.

    The catalogue knows nothing of its readers: the search index subscribes through this setting (and
    only enqueues its own sync), so a failed sync never undoes the write.
    """
    changed = sorted(set(slugs))
    if changed and settings.CATALOGUE_CHANGED_HOOK:
        hook = import_string(settings.CATALOGUE_CHANGED_HOOK)
        transaction.on_commit(lambda: hook(slugs=changed))


def _merge_partial(addon: Addon, values: dict, categories: list[str]) -> tuple[dict, list[str]]:
    """A partial record keeps the stored value wherever it has none of its own."""
    merged = {key: value if value not in (None, "", []) else getattr(addon, key) for key, value in values.items()}
    merged["needs_all_sites"] = values["needs_all_sites"] or addon.needs_all_sites
    merged["requires_payment"] = values["requires_payment"] or addon.requires_payment
    merged["promoted"] = values["promoted"] or addon.promoted
    return merged, categories or list(addon.categories.values_list("slug", flat=True))


def categories_ensure(*, slugs: Iterable[str], names: dict[str, str] | None = None) -> dict[str, Category]:
    """Get or create categories by slug; names default to AMO's."""
    names = names or {}
    wanted = {slug for slug in slugs if slug}
    found = {category.slug: category for category in Category.objects.filter(slug__in=wanted)}
    for slug in wanted - found.keys():
        category = Category(slug=slug, name=names.get(slug) or category_name(slug))
        category.full_clean()
        category.save()
        found[slug] = category
    return found


def addon_upsert(*, record: AddonRecord, seen_at: datetime | None = None) -> tuple[Addon, str]:
    """Create or update one add-on by slug; returns it and "created", "updated" or "unchanged".

    Raises ValidationError for a record that cannot be stored; callers wrap it in a savepoint.
    """
    seen_at = seen_at or timezone.now()
    values = _addon_values(record)
    categories = list(dict.fromkeys(record.categories))
    addon = Addon.objects.filter(slug=record.slug.strip()).first()
    if addon is not None and AddonSource(record.source).partial:  # it keeps stored values it lacks
        values, categories = _merge_partial(addon, values, categories)
    content_hash = _content_hash(values, categories)
    if addon is not None and addon.content_hash == content_hash and addon.is_active:
        Addon.objects.filter(pk=addon.pk).update(last_seen_at=seen_at)
        return addon, "unchanged"
    outcome = "created" if addon is None else "updated"
    addon = addon or Addon(slug=record.slug.strip(), first_seen_at=seen_at)
    for key, value in values.items():
        setattr(addon, key, value)
    addon.content_hash = content_hash
    addon.last_seen_at = seen_at
    addon.changed_at = timezone.now()
    addon.is_active = True
    addon.full_clean()
    addon.save()
    addon.categories.set(categories_ensure(slugs=categories).values())
    return addon, outcome


def addons_upsert(*, records: Iterable[AddonRecord], seen_at: datetime | None = None) -> ImportReport:
    """Upsert many records; a bad one is reported and skipped, leaving no partial row behind."""
    report = ImportReport()
    seen_at = seen_at or timezone.now()
    changed: list[str] = []
    for record in records:
        report.seen_slugs.add(record.slug)
        try:
            with transaction.atomic():
                _, outcome = addon_upsert(record=record, seen_at=seen_at)
        except (ValidationError, ValueError, TypeError) as exc:
            report.skipped += 1
            report.errors.append(f"{record.slug}: {_error_text(exc)}")
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
        if outcome != "unchanged":
            changed.append(record.slug)
    addons_changed_announce(slugs=changed)
    return report


def addons_deactivate_missing(*, seen_slugs: set[str]) -> int:
    """After a full import: add-ons the source no longer lists are hidden, never deleted."""
    missing = Addon.objects.filter(is_active=True).exclude(slug__in=seen_slugs)
    slugs = list(missing.values_list("slug", flat=True))
    count = Addon.objects.filter(slug__in=slugs).update(is_active=False, changed_at=timezone.now())
    addons_changed_announce(slugs=slugs)
    return count


def addon_deactivate(*, addon: Addon) -> Addon:
    """Hide one add-on from the storefront and the chat, keeping its history."""
    addon.is_active = False
    addon.changed_at = timezone.now()
    addon.save(update_fields=["is_active", "changed_at"])
    addons_changed_announce(slugs=[addon.slug])
    return addon


def addon_edited(*, addon: Addon) -> Addon:
    """After an admin edit (fields and categories saved): sanitise again, re-hash and re-index."""
    categories = list(addon.categories.values_list("slug", flat=True))
    record = AddonRecord(
        slug=addon.slug,
        name=addon.name,
        summary=addon.summary,
        description=addon.description,
        amo_id=addon.amo_id,
        guid=addon.guid,
        icon_url=addon.icon_url,
        url=addon.url,
        categories=categories,
        tags=list(addon.tags),
        average_daily_users=addon.average_daily_users,
        rating=addon.rating,
        rating_count=addon.rating_count,
        version=addon.version,
        license=addon.license,
        homepage=addon.homepage,
        permissions=list(addon.permissions),
        host_permissions=list(addon.host_permissions),
        requires_payment=addon.requires_payment,
        promoted=addon.promoted,
        last_updated=addon.last_updated,
        source=AddonSource(addon.source),
    )
    values = _addon_values(record)
    for key, value in values.items():
        setattr(addon, key, value)
    addon.content_hash = _content_hash(values, categories)
    addon.changed_at = timezone.now()
    addon.full_clean()
    addon.save()
    addons_changed_announce(slugs=[addon.slug])
    return addon


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and hasattr(exc, "message_dict"):
        return "; ".join(f"{key}: {' '.join(messages)}" for key, messages in exc.message_dict.items())
    return str(exc)


def demo_catalog_load() -> ImportReport:
    """Load the demo catalogue (idempotent: a second load reports everything unchanged)."""
    names, records = demo_catalog()
    with transaction.atomic():
        categories_ensure(slugs=names, names=names)
        return addons_upsert(records=records)
