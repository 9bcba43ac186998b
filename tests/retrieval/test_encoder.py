"""The ONNX Runtime encoder gives sentence-transformers' own vectors, in the order asked, from a graph
exported once per model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from retrieval.embedder import embeddings
from retrieval.encoder import onnx_export

TEXTS = [
    "my eyes hurt when I read at night",
    "x",
    "Block ads, trackers and annoying pop-ups on every site you visit, with filter lists you can choose "
    "and a counter of what was blocked on each page. " * 4,
    "same bookmarks in Firefox and Chrome",
    "Übersetze diese Seite",
]


@pytest.fixture(scope="module")
def encoder():
    return embeddings()


def test_documents_and_queries_match_sentence_transformers_in_the_order_given(encoder):
    expected = encoder.model.encode(TEXTS, normalize_embeddings=True)
    documents = np.asarray(encoder.embed_documents(TEXTS))
    queries = np.asarray([encoder.embed_query(text) for text in TEXTS])
    assert documents.shape == queries.shape == expected.shape
    # Sorting by length and batching must not mix texts up: each row is its own text's vector.
    assert np.allclose(documents, expected, atol=1e-5)
    assert np.allclose(queries, expected, atol=1e-5)
    assert np.allclose(np.linalg.norm(documents, axis=1), 1.0, atol=1e-5)


def test_the_graph_is_exported_once_and_again_for_changed_weights(encoder, tmp_path):
    first = onnx_export(encoder.model, tmp_path)
    written = first.stat().st_mtime_ns
    assert onnx_export(encoder.model, tmp_path) == first
    assert first.stat().st_mtime_ns == written  # reused, not exported again
    assert [path.name for path in tmp_path.iterdir()] == [first.name]  # no temporary file left behind

    weights = next(encoder.model.parameters())
    original = weights.detach().clone()
    try:
        with torch.no_grad():
            weights.add_(0.01)
        assert onnx_export(encoder.model, tmp_path) != first
    finally:
        with torch.no_grad():
            weights.copy_(original)
