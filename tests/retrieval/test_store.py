"""One embedded index for every process: a write from another process (a command, a Celery worker) is seen
by this process's filtered searches at once, without a restart and without errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

from retrieval.query import Filters
from retrieval.recommend import dense_candidates
from retrieval.store import index_generation, vector_store

from ..conftest import REPO_ROOT

WRITER = textwrap.dedent(
    """
    import django
    import numpy
    django.setup()
    from retrieval.store import index_writing
    with index_writing() as store:
        found = store.get(limit=1, include=["metadatas"])
        metadata = {**found["metadatas"][0], "free": True, "all_sites": False}
        # As many add-ons as an import brings: enough for Chroma to build and persist new vector segments.
        vectors = numpy.random.default_rng(0).normal(size=(1500, 384))
        vectors /= numpy.linalg.norm(vectors, axis=1, keepdims=True)
        ids = [f"imported-{n}" for n in range(1500)]
        store._collection.add(ids=ids, embeddings=vectors, metadatas=[{**metadata, "slug": i} for i in ids])
        store.add_texts(["Zebra Telescope: star charts of the night sky for amateur astronomers"],
                        metadatas=[{**metadata, "slug": "zebra-telescope"}], ids=["zebra-telescope"])
    """
)


def test_another_process_s_write_is_seen_by_filtered_searches_without_a_restart(
    demo_catalog, demo_index_path, settings, tmp_path
):
    settings.CHROMA_PATH = shutil.copytree(demo_index_path, tmp_path / "chroma")  # the module's index stays as it is
    need, filters = "star charts for amateur astronomers", Filters(free_only=True, no_all_sites=True)
    shown = frozenset(dense_candidates(need, filters=filters, exclude=frozenset())[:3])  # as "more" excludes
    assert "zebra-telescope" not in dense_candidates(need, filters=filters, exclude=shown)
    opened, generation = vector_store(), index_generation(settings.CHROMA_PATH)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "marketplace.settings", "CHROMA_PATH": str(settings.CHROMA_PATH)}
    env.pop("CHROMA_URL", None)
    result = subprocess.run([sys.executable, "-c", WRITER], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert index_generation(settings.CHROMA_PATH) != generation  # the writer announced its write
    assert dense_candidates(need, filters=filters, exclude=shown)[0] == "zebra-telescope"
    assert vector_store() is not opened  # reopened once for the new generation, then kept
    assert vector_store() is vector_store()


def test_this_process_s_own_writes_do_not_reopen_the_index(demo_catalog):
    from retrieval.sync import index_sync

    opened = vector_store()
    index_sync()
    assert vector_store() is opened
