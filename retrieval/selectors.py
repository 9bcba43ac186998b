"""Reads for ranking: the feedback memory, rebuilt from the stored evidence when it changed."""

from __future__ import annotations

import threading
import time

import numpy as np
from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from retrieval.feedback import FeedbackMemory, Piece
from retrieval.models import Evidence

_lock = threading.Lock()
_memory: tuple[float, tuple, FeedbackMemory] | None = None  # (checked at, signature, memory)


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
