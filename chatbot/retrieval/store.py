"""The vector store: LangChain's Chroma over a local PersistentClient, or a Chroma server (CHROMA_URL)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings
from django.conf import settings
from langchain_chroma import Chroma

from chatbot.retrieval.embedder import embeddings

COLLECTION_METADATA = {"hnsw:space": "cosine"}


def chroma_client(url: str = "", path: Path | None = None) -> chromadb.ClientAPI:
    """An HTTP client for a Chroma server URL, else an embedded client persisting under `path`."""
    client_settings = ChromaSettings(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url)
        return chromadb.HttpClient(
            host=parsed.hostname or "localhost",
            port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https",
            settings=client_settings,
        )
    assert path is not None
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=client_settings)


@lru_cache(maxsize=4)
def _vector_store(url: str, path: str, collection: str) -> Chroma:
    return Chroma(
        collection_name=collection,
        embedding_function=embeddings(),
        client=chroma_client(url, Path(path)),
        collection_metadata=COLLECTION_METADATA,
    )


def vector_store() -> Chroma:
    """The add-on collection for the current settings (cached per location)."""
    return _vector_store(settings.CHROMA_URL, str(settings.CHROMA_PATH), settings.CHROMA_COLLECTION)
