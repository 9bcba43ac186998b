"""The vector store: LangChain's Chroma over a local PersistentClient, or a Chroma server (CHROMA_URL).

Several processes share one embedded index (web workers, a Celery worker, a command): chromadb keeps
an opened collection's vectors in memory and never looks at the files again, so a reader would miss
another process's writes, and a filtered search could even fail on ids it finds in the metadata but not
in its vectors. Writers therefore hold an exclusive file lock (`index_writing`) and, when done, replace a
small generation file; every search compares that file with the generation it opened and reopens the
client when it changed. A Chroma server needs none of this: it is the one reader and writer.
The multilingual encoder's vectors (retrieval.multilingual) are a second collection beside the first, in the
same folder or server, written under the same lock. chromadb and LangChain load on first use, not when Django
starts.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from django.conf import settings

from retrieval.embedder import embeddings
from retrieval.multilingual import multilingual_embeddings, multilingual_enabled
from retrieval.selectors import ServingEncoder, serving_encoder

if TYPE_CHECKING:
    import chromadb
    from langchain_chroma import Chroma

logger = logging.getLogger(__name__)
COLLECTION_METADATA = {"hnsw:space": "cosine"}
GENERATION_FILE = "generation"
WRITE_LOCK_FILE = "write.lock"
MAX_OPEN_LOCATIONS = 4
MULTILINGUAL_SUFFIX = "-multilingual"


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


def index_generation(path: Path) -> str:
    """The embedded index's generation: replaced by every write, from any process ("" before the first)."""
    try:
        return (path / GENERATION_FILE).read_text()
    except FileNotFoundError:
        return ""


def _generation_bump(path: Path) -> str:
    generation = uuid.uuid4().hex
    staged = path / f".{GENERATION_FILE}-{generation}"
    staged.write_text(generation)
    os.replace(staged, path / GENERATION_FILE)  # atomic: a reader sees the old value or the new one
    return generation


_Key = tuple[str, str, str]
_opened: dict[_Key, tuple[Chroma, str]] = {}  # location -> (store, the generation it was opened at)
_opening = threading.Lock()


def _location(*, multilingual: bool = False, encoder: ServingEncoder | None = None) -> _Key:
    suffix = MULTILINGUAL_SUFFIX if multilingual else (encoder or serving_encoder()).suffix
    return settings.CHROMA_URL, str(settings.CHROMA_PATH), settings.CHROMA_COLLECTION + suffix


def _forget(key: _Key) -> None:
    """Close and drop this process's client for a location; the caller holds `_opening`."""
    opened = _opened.pop(key, None)
    if opened is not None:
        opened[0]._client.close()  # type: ignore[attr-defined]  # on the client class, not on ClientAPI


def vector_store(*, multilingual: bool = False, encoder: ServingEncoder | None = None) -> Chroma:
    """The add-on collection of `encoder` (by default the one serving; or the multilingual one), reopened when
    another process wrote the index.

    Opened under a lock: chromadb's client cache breaks when two threads open one location at once.
    """
    from langchain_chroma import Chroma

    encoder = encoder or serving_encoder()
    url, path, collection = key = _location(multilingual=multilingual, encoder=encoder)
    generation = "" if url else index_generation(Path(path))
    with _opening:
        opened = _opened.get(key)
        if opened is not None and opened[1] == generation:
            return opened[0]
        if opened is not None:
            logger.info("the search index changed in another process: reopening it")
            _forget(key)  # frees the old vectors; a search still using them retries
        store = Chroma(
            collection_name=collection,
            embedding_function=multilingual_embeddings() if multilingual else embeddings(encoder.model),
            client=chroma_client(url, Path(path)),
            collection_metadata=COLLECTION_METADATA,
        )
        _opened[key] = (store, generation)
        if not store._collection.count() and not multilingual:
            logger.warning(
                "the search index (%s) is empty: keyword search only until `manage.py build_index`", url or path
            )
        while len(_opened) > MAX_OPEN_LOCATIONS:  # tests open many folders; a server opens one
            _forget(next(iter(_opened)))
        return store


def _discard(key: _Key, folder: Path) -> None:
    with _opening:
        for opened_key in [opened for opened in _opened if opened[:2] == key[:2]]:  # both collections
            _forget(opened_key)
    for entry in folder.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
        elif entry.name != WRITE_LOCK_FILE:
            entry.unlink()


def vector_store_reopen(*, multilingual: bool = False, encoder: ServingEncoder | None = None) -> Chroma:
    """Open the index afresh: after a search failed on a client another process's write made stale."""
    with _opening:
        _forget(_location(multilingual=multilingual, encoder=encoder))
    return vector_store(multilingual=multilingual, encoder=encoder)


def collection_drop(encoder: ServingEncoder) -> None:
    """Delete an encoder's collection, if there is one (a version neither serving nor next in line for a roll
    back), without loading its model."""
    url, path, collection = key = _location(encoder=encoder)
    with _opening:
        _forget(key)
    client = chroma_client(url, Path(path))
    if collection in {existing.name for existing in client.list_collections()}:
        client.delete_collection(collection)


@contextmanager
def index_writing(*, fresh: bool = False) -> Iterator[Chroma]:
    """The store, for writing: one writer at a time across processes; readers reopen when it is done.

    `fresh`: start from empty collections. An embedded index's files are deleted first, so that even a
    corrupt index (which cannot be opened to be reset) is rebuilt. Its multilingual collection is opened
    with `vector_store(multilingual=True)` inside the block.
    """
    url, path, _ = key = _location()
    if url:
        if fresh:
            for multilingual in (False, True) if multilingual_enabled() else (False,):
                vector_store(multilingual=multilingual).reset_collection()
        yield vector_store()
        return
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / WRITE_LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if fresh:
            _discard(key, folder)
        store = vector_store()
        current = index_generation(folder)
        try:
            yield store
        finally:
            generation = _generation_bump(folder)
            with _opening:  # clients current when the lock was taken saw every write since: no need to reopen
                for opened_key, (opened, at) in list(_opened.items()):
                    if opened_key[:2] == key[:2] and at == current:
                        _opened[opened_key] = (opened, generation)
