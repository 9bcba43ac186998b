"""Catalogue writes: sanitising, hashing, partial records, deactivation, the demo catalogue."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from marketplace.models import Addon, Category
from marketplace.records import AddonRecord
from marketplace.services import (
    addon_deactivate,
    addon_upsert,
    addons_deactivate_missing,
    addons_upsert,
    demo_catalog_load,
)

pytestmark = pytest.mark.django_db


def record(slug: str = "tab-tidy", **overrides) -> AddonRecord:
    values = {
        "slug": slug,
        "name": "Tab Tidy",
        "summary": "Keeps <b>tabs</b> tidy.",
        "categories": ["tabs"],
        "average_daily_users": 100,
        "rating": 4.5,
        "rating_count": 10,
        "source": "api",
    }
    values.update(overrides)
    return AddonRecord(**values)


def test_upsert_creates_then_reports_unchanged_then_updated():
    addon, outcome = addon_upsert(record=record())
    assert outcome == "created"
    assert addon.summary == "Keeps <b>tabs</b> tidy."
    assert addon.summary_text == "Keeps tabs tidy."
    assert addon.url == "https://addons.mozilla.org/en-US/firefox/addon/tab-tidy/"
    assert [c.slug for c in addon.categories.all()] == ["tabs"]
    assert Category.objects.get(slug="tabs").name == "Tabs"

    assert addon_upsert(record=record())[1] == "unchanged"
    updated, outcome = addon_upsert(record=record(rating=4.6))
    assert outcome == "updated"
    assert updated.rating == 4.6


def test_scripts_and_event_handlers_are_stripped_and_text_is_plain():
    dirty = 'Hi <img src=x onerror="alert(1)"><script>alert(2)</script><a href="javascript:alert(3)">x</a> &amp; bye'
    addon, _ = addon_upsert(record=record(summary=dirty, description="<p onclick='x()'>Para</p>"))
    assert "onerror" not in addon.summary and "<script" not in addon.summary and "javascript:" not in addon.summary
    assert "alert(2)" not in addon.summary_text
    assert addon.summary_text == "Hi x & bye"
    assert addon.description == "<p>Para</p>"


def test_name_is_plain_text_and_bad_urls_are_dropped():
    addon, _ = addon_upsert(
        record=record(name="<b>Bold</b> Name", icon_url="javascript:alert(1)", homepage="data:text/html,hi")
    )
    assert addon.name == "Bold Name"
    assert addon.icon_url == "" and addon.homepage == ""


def test_all_sites_permission_is_derived():
    addon, _ = addon_upsert(record=record(host_permissions=["<all_urls>"]))
    assert addon.needs_all_sites
    addon, _ = addon_upsert(record=record(slug="site-only", host_permissions=["*://*.youtube.com/*"]))
    assert not addon.needs_all_sites


def test_partial_html_record_keeps_what_it_lacks():
    addon_upsert(record=record(description="Long description", version="2.0"))
    addon, outcome = addon_upsert(record=AddonRecord(slug="tab-tidy", name="Tab Tidy", rating=4.8, source="html"))
    assert outcome == "updated"
    assert addon.description_text == "Long description"
    assert addon.version == "2.0"
    assert addon.rating == 4.8
    assert [c.slug for c in addon.categories.all()] == ["tabs"]


def test_bad_record_is_skipped_without_a_partial_row():
    report = addons_upsert(records=[record("good-one"), record("bad-one", rating=9.5), record("good-two")])
    assert (report.created, report.skipped) == (2, 1)
    assert "bad-one" in report.errors[0] and "rating" in report.errors[0]
    assert not Addon.objects.filter(slug="bad-one").exists()


def test_upsert_rejects_invalid_record():
    with pytest.raises(ValidationError):
        addon_upsert(record=record(slug="not a slug!"))


def test_deactivation_hides_and_reimport_reactivates():
    addons_upsert(records=[record("keep-me"), record("drop-me")])
    assert addons_deactivate_missing(seen_slugs={"keep-me"}) == 1
    assert not Addon.objects.get(slug="drop-me").is_active
    assert addon_upsert(record=record("drop-me"))[1] == "updated"
    assert Addon.objects.get(slug="drop-me").is_active
    addon_deactivate(addon=Addon.objects.get(slug="keep-me"))
    assert not Addon.objects.get(slug="keep-me").is_active


def test_demo_catalog_covers_every_category_and_loads_idempotently():
    first = demo_catalog_load()
    assert first.skipped == 0, first.errors
    assert first.created >= 150
    per_category = {category.slug: category.addons.count() for category in Category.objects.all()}
    assert len(per_category) == 15
    assert min(per_category.values()) >= 5, per_category
    second = demo_catalog_load()
    assert second.changed == 0 and second.unchanged == first.created
