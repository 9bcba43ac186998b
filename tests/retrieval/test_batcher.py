"""Concurrent query embeddings share forward passes, keep their own vectors, and share failures."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from retrieval.batcher import QueryBatcher


def slow_encoder(calls: list[list[str]]):
    def encode(texts: list[str]) -> list[list[float]]:
        calls.append(list(texts))
        time.sleep(0.05)  # long enough for the other callers to queue behind the first pass
        return [[float(len(text)), float(ord(text[0]))] for text in texts]

    return encode


def test_concurrent_queries_share_passes_and_each_gets_its_own_vector():
    calls: list[list[str]] = []
    batcher = QueryBatcher(slow_encoder(calls), max_batch=16)
    texts = [f"need number {n}" * (n + 1) for n in range(12)]
    with ThreadPoolExecutor(12) as pool:
        vectors = list(pool.map(batcher.embed, texts))
    assert vectors == [[float(len(text)), float(ord(text[0]))] for text in texts]
    assert sorted(text for call in calls for text in call) == sorted(texts)  # each encoded once
    assert batcher.passes == len(calls) < len(texts)


def test_a_pass_never_exceeds_the_batch_size():
    calls: list[list[str]] = []
    batcher = QueryBatcher(slow_encoder(calls), max_batch=3)
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(batcher.embed, [f"q{n}" for n in range(10)]))
    assert max(len(call) for call in calls) <= 3


def test_a_failing_pass_fails_its_callers_and_the_next_pass_works():
    failing = threading.Event()
    failing.set()

    def encode(texts: list[str]) -> list[list[float]]:
        if failing.is_set():
            failing.clear()
            raise RuntimeError("encoder broke")
        return [[1.0] for _ in texts]

    batcher = QueryBatcher(encode, max_batch=8)
    with pytest.raises(RuntimeError, match="encoder broke"):
        batcher.embed("first")
    assert batcher.embed("second") == [1.0]
