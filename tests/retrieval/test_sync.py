"""The index follows the catalogue: create, update, deactivate, delete, admin edits; rebuild; drift."""

from __future__ import annotations

from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from marketplace.jobs import jobs_wait
from marketplace.models import Addon
from marketplace.records import AddonRecord
from marketplace.services import addon_deactivate, addons_deactivate_missing, addons_upsert
from retrieval.cards import addon_card
from retrieval.recommend import recommend
from retrieval.store import vector_store
from retrieval.sync import index_drift, index_rebuild, index_sync
from tests.factories import api_addon, write_results

pytestmark = pytest.mark.django_db(transaction=True)
JOB_SECONDS = 60  # the index sync runs as a background job; wait for it, never for ever


def record(slug: str, **overrides) -> AddonRecord:
    values = {
        "slug": slug,
        "name": slug.replace("-", " ").title(),
        "summary": f"{slug} helps with things",
        "categories": ["tabs"],
        "average_daily_users": 10,
        "rating": 4.0,
        "rating_count": 3,
    }
    values.update(overrides)
    return AddonRecord(**values)


def indexed() -> dict[str, dict]:
    found = vector_store().get(include=["metadatas", "documents"])
    return {
        slug: {**meta, "text": text}
        for slug, meta, text in zip(found["ids"], found["metadatas"], found["documents"], strict=True)
    }


def test_create_and_update_reach_the_index_after_commit():
    addons_upsert(records=[record("tab-one"), record("tab-two")])
    assert jobs_wait(JOB_SECONDS) and set(indexed()) == {"tab-one", "tab-two"}
    addons_upsert(records=[record("tab-one", summary="Now suspends idle tabs")])
    assert jobs_wait(JOB_SECONDS)
    assert "suspends idle tabs" in indexed()["tab-one"]["text"]
    assert indexed()["tab-one"]["content_hash"] == Addon.objects.get(slug="tab-one").content_hash


def test_unchanged_addons_are_not_re_embedded_and_metadata_changes_are_not_either():
    addons_upsert(records=[record("tab-one")])
    assert jobs_wait(JOB_SECONDS)
    store = vector_store()
    with mock.patch.object(type(store), "add_texts", wraps=store.add_texts, autospec=True) as add_texts:
        addons_upsert(records=[record("tab-one")])  # unchanged: no sync at all
        addons_upsert(records=[record("tab-one", rating=4.9)])  # facts changed, text the same
        assert jobs_wait(JOB_SECONDS) and add_texts.call_count == 0
    assert indexed()["tab-one"]["rating"] == 4.9
    assert index_sync().as_dict() == {
        "embedded": 0,
        "metadata_updated": 0,
        "unchanged": 1,
        "removed": 0,
        "multilingual_embedded": 0,
    }


def test_deactivation_and_deletion_remove_from_the_index():
    addons_upsert(records=[record("stay"), record("gone-a"), record("gone-b"), record("gone-c")])
    addons_deactivate_missing(seen_slugs={"stay", "gone-b", "gone-c"})
    addon_deactivate(addon=Addon.objects.get(slug="gone-b"))
    assert jobs_wait(JOB_SECONDS) and set(indexed()) == {"stay", "gone-c"}
    Addon.objects.filter(slug="gone-c").delete()  # deleted behind the services' back: sync notices
    assert index_sync().removed == 1
    assert set(indexed()) == {"stay"}


def test_admin_edit_and_delete_update_the_index(admin_client):
    addons_upsert(records=[record("edit-me"), record("delete-me")])
    assert jobs_wait(JOB_SECONDS)
    addon = Addon.objects.get(slug="edit-me")
    form = {
        "name": "Edited Name",
        "slug": "edit-me",
        "url": addon.url,
        "icon_url": "",
        "summary": "<b>Fresh</b> words",
        "description": "",
        "categories": [c.pk for c in addon.categories.all()],
        "tags": "[]",
        "is_active": "on",
        "average_daily_users": "10",
        "rating": "4.0",
        "rating_count": "3",
        "version": "",
        "license": "",
        "homepage": "",
        "last_updated_0": "",
        "last_updated_1": "",
        "permissions": "[]",
        "host_permissions": "[]",
    }
    response = admin_client.post(reverse("admin:marketplace_addon_change", args=[addon.pk]), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    addon.refresh_from_db()
    assert addon.summary_text == "Fresh words" and jobs_wait(JOB_SECONDS)
    assert "Edited Name" in indexed()["edit-me"]["text"]
    assert indexed()["edit-me"]["content_hash"] == addon.content_hash
    delete = Addon.objects.get(slug="delete-me")
    admin_client.post(reverse("admin:marketplace_addon_delete", args=[delete.pk]), {"post": "yes"})
    assert jobs_wait(JOB_SECONDS) and "delete-me" not in indexed()


def test_rebuild_is_idempotent():
    addons_upsert(records=[record("tab-one"), record("tab-two")])
    assert jobs_wait(JOB_SECONDS)
    first = indexed()
    assert index_rebuild().embedded == 2
    assert index_rebuild().embedded == 2
    assert indexed().keys() == first.keys()
    assert index_drift().total == 0


def test_check_index_reports_drift_and_build_index_repairs_it():
    addons_upsert(records=[record("tab-one"), record("tab-two"), record("tab-three")])
    assert jobs_wait(JOB_SECONDS)
    vector_store().delete(ids=["tab-one"])
    Addon.objects.filter(slug="tab-two").update(content_hash="0" * 64)
    vector_store().add_texts(["orphan"], metadatas=[{"slug": "orphan", "content_hash": "x"}], ids=["orphan"])
    drift = index_drift()
    assert (drift.missing, drift.stale, drift.extra) == (["tab-one"], ["tab-two"], ["orphan"])
    out = StringIO()
    with pytest.raises(CommandError, match="index drift: 3"):
        call_command("check_index", stdout=out)
    assert "1 missing from the index: tab-one" in out.getvalue()
    call_command("build_index", stdout=StringIO())
    call_command("check_index", stdout=out)
    assert "agree" in out.getvalue()


def test_a_failing_index_never_undoes_the_catalogue_write():
    with mock.patch("retrieval.sync.vector_store", side_effect=ConnectionError("chroma down")):
        report = addons_upsert(records=[record("tab-one")])
        assert jobs_wait(JOB_SECONDS)  # the sync job fails, and the write stands
    assert report.created == 1 and Addon.objects.filter(slug="tab-one").exists()
    assert index_drift().missing == ["tab-one"]


def test_the_sites_an_addon_asks_for_are_searchable_though_its_listing_never_names_them():
    summary = "Shows subtitles in two languages at once for language study"
    addons_upsert(
        records=[
            record("dual-subs", summary=summary, host_permissions=["*://*.netflix.com/*"]),
            record("study-subs", summary=summary, permissions=["<all_urls>"]),
        ]
    )
    assert jobs_wait(JOB_SECONDS)
    assert "Works on: netflix." in indexed()["dual-subs"]["text"] and "Works on" not in indexed()["study-subs"]["text"]
    best = recommend("netflix", k=2)[0]
    assert best.addon.slug == "dual-subs"
    assert addon_card(best.addon, query="netflix")["reason"] == "Works on Netflix · free · 4.0\u2605"


def test_an_import_command_returns_with_its_addons_indexed(tmp_path):
    source = write_results(tmp_path / "page.json", [api_addon("tab-one"), api_addon("tab-two")])
    call_command("import_catalog", str(source), stdout=StringIO())
    assert set(indexed()) == {"tab-one", "tab-two"} and index_drift().total == 0


def test_a_rebuild_started_from_admin_stores_its_outcome(demo_catalog, monkeypatch):
    from retrieval import services
    from retrieval.models import IndexRebuild

    rebuild = IndexRebuild.objects.create()
    done = services.index_rebuild_run(rebuild_id=rebuild.pk)
    assert done.status == "succeeded" and done.report["embedded"] > 0 and done.finished_at is not None
    monkeypatch.setattr(services, "index_rebuild", lambda: (_ for _ in ()).throw(OSError("disk full")))
    failed = services.index_rebuild_run(rebuild_id=IndexRebuild.objects.create().pk)
    assert failed.status == "failed" and failed.error == "OSError: disk full"
