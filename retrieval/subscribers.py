"""The search index's subscription to the catalogue (CATALOGUE_CHANGED_HOOK): re-embed what changed."""

from __future__ import annotations

from marketplace.jobs import enqueue


def catalogue_changed(*, slugs: list[str]) -> None:
    """Called after a catalogue write commits; the sync itself runs as a job, off the writer's path."""
    enqueue("retrieval.tasks.index_sync", slugs)
