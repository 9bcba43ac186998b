"""Reads for ranking: the encoder serving searches, and the feedback memory, rebuilt from the stored evidence
when it changed."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from retrieval.feedback import FeedbackMemory, Piece
from retrieval.models import EmbeddingVersion, Evidence

_lock = threading.Lock()
_memory: tuple[float, tuple, FeedbackMemory] | None = None  # (checked at, signature, memory)


@dataclass(frozen=True)
class ServingEncoder:
    """The encoder searches use and the collection holding its vectors: the base model (EMBEDDING_MODEL, in
    CHROMA_COLLECTION) or a promoted fine-tuned version (its own path, in its own collection)."""

    model: str = ""  # "": the base model
    suffix: str = ""  # added to CHROMA_COLLECTION
    version: int | None = None


BASE_ENCODER = ServingEncoder()
_serving: tuple[float, ServingEncoder] | None = None  # (checked at, what serves)


def serving_encoder() -> ServingEncoder:
    """What serves searches: looked up at most every ENCODER_REFRESH_SECONDS, so a promotion reaches every
    process within that time (and the process that promoted at once)."""
    global _serving
    with _lock:
        if _serving is not None and time.monotonic() - _serving[0] < settings.ENCODER_REFRESH_SECONDS:
            return _serving[1]
    version = EmbeddingVersion.objects.filter(status=EmbeddingVersion.Status.SERVING).first()
    serving = ServingEncoder(version.path, version.collection_suffix, version.number) if version else BASE_ENCODER
    with _lock:
        _serving = (time.monotonic(), serving)
    return serving


def serving_encoder_forget() -> None:
    global _serving
    with _lock:
        _serving = None


def _signature() -> tuple:
    """Changes when evidence is added or pruned, and daily (ages, and so the decay, move on)."""
    stats = Evidence.objects.aggregate(count=Count("id"), last=Max("id"))
    return stats["count"], stats["last"], timezone.now().date()


def _load() -> FeedbackMemory:
    now = timezone.now()
    rows = Evidence.objects.values_list("vector", "addon__slug", "signal", "client", "created_at")
    vectors, pieces = [], []
    for vector, slug, signal, client, created in rows.iterator(chunk_size=2000):
        vectors.append(np.frombuffer(bytes(vector), dtype=np.float32))
        pieces.append(Piece(slug=slug, signal=signal, client=client, age_days=(now - created).total_seconds() / 86_400))
    return FeedbackMemory(vectors, pieces)


def feedback_memory() -> FeedbackMemory:
    """The memory every search consults: looked up again at most every FEEDBACK_REFRESH_SECONDS, and rebuilt
    only when evidence was added or removed (another process's votes count within that time)."""
    global _memory
    with _lock:
        if _memory is not None and time.monotonic() - _memory[0] < settings.FEEDBACK_REFRESH_SECONDS:
            return _memory[2]
        signature = _signature()
        memory = _memory[2] if _memory is not None and _memory[1] == signature else _load()
        _memory = (time.monotonic(), signature, memory)
        return memory


def feedback_memory_forget() -> None:
    global _memory
    with _lock:
        _memory = None
