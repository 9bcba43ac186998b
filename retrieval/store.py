"""The vector store: LangChain's Chroma over a local PersistentClient, or a Chroma server (CHROMA_URL).

chromadb and LangChain load on first use, not when Django starts: most processes (commands, admin,
tests) never search.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from django.conf import settings

from retrieval.embedder import embeddings

if TYPE_CHECKING:
    import chromadb
    from langchain_chroma import Chroma

COLLECTION_METADATA = {"hnsw:space": "cosine"}


def chroma_client(url: str = "", path: Path | None = None) -> chromadb.ClientAPI:
    """An HTTP client for a Chroma server URL, else an embedded client persisting under `path`."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client_settings = ChromaSettings(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url)
        return chromadb.HttpClient(
            host=parsed.hostname or "localhost",
            port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https",
            settings=client_settings,
        )
    if path is None:
        raise ValueError("an embedded Chroma client needs a path")
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=client_settings)


@lru_cache(maxsize=4)
def _vector_store(url: str, path: str, collection: str) -> Chroma:
    from langchain_chroma import Chroma

    return Chroma(
        collection_name=collection,
        embedding_function=embeddings(),
        client=chroma_client(url, Path(path)),
        collection_metadata=COLLECTION_METADATA,
    )


_opening = threading.Lock()


def vector_store() -> Chroma:
    """The add-on collection for the current settings (cached per location).

    Opened under a lock: chromadb's client cache breaks when two threads (a request and an index job)
    open the same location at once.
    """
    with _opening:
        return _vector_store(settings.CHROMA_URL, str(settings.CHROMA_PATH), settings.CHROMA_COLLECTION)
