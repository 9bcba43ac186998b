"""Keep the Chroma index equal to the active catalogue, re-embedding only what changed.

Catalogue writes reach index_sync() through the catalogue's hook (retrieval.subscribers) once they
commit; build_index and the admin "Rebuild index" action call index_sync(slugs=None) or index_rebuild().
Syncs run one at a time, in one process and across processes (index_writing): two overlapping ones
could otherwise write what one of them read before the other's change (an add-on deactivated
meanwhile, put back by the older sync). The multilingual collection (retrieval.multilingual) is synced
the same way in the same run, each collection by what it holds: turning the multilingual encoder on
later fills its collection on the next sync, without re-embedding the main one. While a fine-tuned encoder
serves, the base encoder's collection is kept current too: searches expand their keywords from it
(retrieval.recommend), and a roll back finds it complete.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings

from marketplace.models import Addon
from retrieval.documents import addon_metadata, addon_text
from retrieval.multilingual import multilingual_enabled
from retrieval.selectors import BASE_ENCODER, ServingEncoder, serving_encoder
from retrieval.store import index_writing, vector_store

if TYPE_CHECKING:
    from langchain_chroma import Chroma


@dataclass
class SyncReport:
    embedded: int = 0
    metadata_updated: int = 0
    unchanged: int = 0
    removed: int = 0
    multilingual_embedded: int = 0  # add-ons the multilingual encoder embedded in the same run

    def as_dict(self) -> dict[str, int]:
        return {
            "embedded": self.embedded,
            "metadata_updated": self.metadata_updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "multilingual_embedded": self.multilingual_embedded,
        }


@dataclass
class Drift:
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.missing) + len(self.stale) + len(self.extra)


def _indexed(store: Chroma, ids: list[str] | None) -> dict[str, dict]:
    """Metadata of the add-ons `store` holds, by slug (all of them when ids is None)."""
    if ids is not None and not ids:
        return {}
    found = store.get(ids=ids, include=["metadatas"])
    return dict(zip(found["ids"], found["metadatas"], strict=True))


def _batches(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_syncing = threading.Lock()


def index_sync(*, slugs: Iterable[str] | None = None) -> SyncReport:
    """Bring the named add-ons (or the whole catalogue) in line: embed new or changed text,
    update metadata-only changes in place, drop inactive or deleted add-ons."""
    with _syncing, index_writing() as store:
        return _sync(store, None if slugs is None else sorted(set(slugs)))


def _base_beside_tuned() -> list[Chroma]:
    """The base encoder's collection while a fine-tuned one serves: searches still expand their keywords from it."""
    return [vector_store(encoder=BASE_ENCODER)] if serving_encoder() != BASE_ENCODER else []


def _sync(store: Chroma, wanted: list[str] | None) -> SyncReport:
    report = _sync_collection(store, wanted)
    for base in _base_beside_tuned():
        _sync_collection(base, wanted)
    if multilingual_enabled():
        report.multilingual_embedded = _sync_collection(vector_store(multilingual=True), wanted).embedded
    return report


def _sync_collection(store: Chroma, wanted: list[str] | None) -> SyncReport:
    addons = Addon.objects.filter(is_active=True).prefetch_related("categories")
    if wanted is not None:
        addons = addons.filter(slug__in=wanted)
    indexed = _indexed(store, wanted)
    report = SyncReport()
    to_embed: list[tuple[str, str, dict]] = []
    to_update: list[tuple[str, dict]] = []
    active: set[str] = set()
    for addon in addons.iterator(chunk_size=1000):
        active.add(addon.slug)
        stored = indexed.get(addon.slug)
        if stored and stored.get("content_hash") == addon.content_hash:
            report.unchanged += 1
            continue
        text = addon_text(addon)
        metadata = addon_metadata(addon, text)
        if stored and stored.get("text_hash") == metadata["text_hash"]:
            to_update.append((addon.slug, metadata))
        else:
            to_embed.append((addon.slug, text, metadata))
    batch_size = settings.INDEX_SYNC_BATCH_SIZE
    to_embed.sort(key=lambda item: len(item[1]))  # texts of a length share a pass: the encoder pads little
    for batch in _batches(to_embed, batch_size):
        store.add_texts(
            texts=[text for _, text, _ in batch], metadatas=[m for _, _, m in batch], ids=[slug for slug, _, _ in batch]
        )
        report.embedded += len(batch)
    for batch in _batches(to_update, batch_size):
        store._collection.update(ids=[slug for slug, _ in batch], metadatas=[m for _, m in batch])
        report.metadata_updated += len(batch)
    gone = sorted(set(indexed) - active)
    for batch in _batches(gone, batch_size):
        store.delete(ids=batch)
        report.removed += len(batch)
    return report


def index_switch(encoder: ServingEncoder, switch: Callable[[], None]) -> SyncReport:
    """Embed the catalogue into `encoder`'s collection (only what it lacks or holds stale), then call `switch`,
    which makes it serve, while no other sync can write: searches move from one complete collection to the
    other, and no catalogue change lands in the old one after the new one was filled."""
    with _syncing, index_writing():
        report = _sync_collection(vector_store(encoder=encoder), None)
        switch()
    return report


def index_rebuild() -> SyncReport:
    """Drop the collection and embed the whole active catalogue again."""
    with _syncing, index_writing(fresh=True) as store:
        return _sync(store, None)


def index_drift() -> Drift:
    """What differs between the active catalogue and the index (in any of the collections kept)."""
    active = dict(Addon.objects.filter(is_active=True).values_list("slug", "content_hash"))
    stores = [vector_store(), *_base_beside_tuned()]
    stores += [vector_store(multilingual=True)] if multilingual_enabled() else []
    missing: set[str] = set()
    stale: set[str] = set()
    extra: set[str] = set()
    for store in stores:
        indexed = _indexed(store, None)
        missing |= set(active) - set(indexed)
        stale |= {slug for slug, meta in indexed.items() if slug in active and meta.get("content_hash") != active[slug]}
        extra |= set(indexed) - set(active)
    return Drift(sorted(missing), sorted(stale - missing), sorted(extra))
