"""AMO API v5 add-on objects -> AddonRecord.

AMO returns translated fields either as plain strings or as ``{"en-US": ...}`` dicts
(depending on the ``lang`` parameter), and any field may be missing or null.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marketplace.records import AddonRecord, AddonSource

PREFERRED_LOCALES = ("en-US", "en-GB", "en")


class RecordError(ValueError):
    """An API object that cannot become a record (no usable slug, wrong types)."""


def translated(value: Any) -> str:
    """Pick the English text of a translated field, or any locale when English is absent."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for locale in PREFERRED_LOCALES:
            if value.get(locale):
                return str(value[locale])
        for text in value.values():
            if text:
                return str(text)
        return ""
    raise RecordError(f"expected text or a translations dict, got {type(value).__name__}")


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RecordError("expected a number, got a boolean")
    return int(value)


def _float_or_none(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


def _string_list(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"expected a list, got {type(value).__name__}")
    return [str(item) for item in value if item]


def _categories(value: Any) -> list[str]:
    """v5 gives a list of slugs; v4 gave ``{"firefox": [...]}``."""
    if isinstance(value, dict):
        value = value.get("firefox") or []
    return _string_list(value)


def _datetime_or_none(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise RecordError(f"bad date {value!r}") from exc


def _homepage(value: Any) -> str:
    """v5 nests the URL: ``{"url": {"en-US": ...}, "outgoing": ...}``; older data gives text."""
    if isinstance(value, dict) and "url" in value:
        value = value["url"]
    return translated(value)


def record_from_api(data: Any, *, source: AddonSource = AddonSource.API) -> AddonRecord:
    """Convert one AMO API add-on object; raises RecordError when it cannot be used."""
    if not isinstance(data, dict):
        raise RecordError(f"expected an object, got {type(data).__name__}")
    slug = data.get("slug")
    if not isinstance(slug, str) or not slug.strip():
        raise RecordError("missing slug")
    try:
        version = data.get("current_version") or {}
        file = version.get("file") or {}
        license_ = version.get("license") or {}
        ratings = data.get("ratings") or {}
        name = translated(data.get("name"))
        return AddonRecord(
            slug=slug.strip(),
            name=name or slug.replace("-", " ").strip().title(),
            summary=translated(data.get("summary")),
            description=translated(data.get("description")),
            amo_id=_int_or_none(data.get("id")),
            guid=str(data.get("guid") or ""),
            icon_url=str(data.get("icon_url") or ""),
            url=str(data.get("url") or ""),
            categories=_categories(data.get("categories")),
            tags=_string_list(data.get("tags")),
            average_daily_users=_int_or_none(data.get("average_daily_users")),
            rating=_float_or_none(ratings.get("average")),
            rating_count=_int_or_none(ratings.get("count")),
            version=str(version.get("version") or ""),
            license=translated(license_.get("name")) or str(license_.get("slug") or ""),
            homepage=_homepage(data.get("homepage")),
            permissions=_string_list(file.get("permissions")),
            host_permissions=_string_list(file.get("host_permissions")),
            requires_payment=bool(data.get("requires_payment")),
            promoted=bool(data.get("promoted")),
            last_updated=_datetime_or_none(data.get("last_updated")),
            source=source,
        )
    except (AttributeError, TypeError, ValueError) as exc:
        if isinstance(exc, RecordError):
            raise
        raise RecordError(f"{slug}: {exc}") from exc
