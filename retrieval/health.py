"""Whether search can serve: the index opens and holds add-ons (for /readyz and operators)."""

from __future__ import annotations

from retrieval.store import vector_store


def index_health() -> str:
    """ "N add-ons indexed"; raises when the index cannot be opened or is empty (search would be keyword-only)."""
    count = vector_store()._collection.count()
    if not count:
        raise RuntimeError("the search index is empty: run `manage.py build_index`")
    return f"{count} add-ons indexed"
