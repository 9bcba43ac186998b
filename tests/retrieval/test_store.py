"""One embedded index for every process: a write from another process (a command, a Celery worker) is seen
by this process's filtered searches at once, without a restart and without errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from retrieval.query import Filters
from retrieval.recommend import dense_candidates
from retrieval.store import index_generation, vector_store

from ..conftest import REPO_ROOT

WRITER = textwrap.dedent(
    """
    import django
    import numpy
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)  # its own database: the store asks it which encoder serves
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
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "marketplace.settings", "CHROMA_PATH": str(settings.CHROMA_PATH),
           "DATABASE_URL": f"sqlite:///{tmp_path}/writer.sqlite3"}  # fmt: skip
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


def _corrupt(folder):
    (folder / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    for segment in folder.glob("*/*.bin"):
        segment.write_bytes(segment.read_bytes()[:10])


def test_a_corrupt_index_degrades_to_keywords_is_named_and_a_rebuild_recovers_it(
    demo_catalog, demo_index_path, settings, tmp_path, caplog
):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from retrieval.health import index_health
    from retrieval.recommend import recommend
    from retrieval.store import vector_store_reopen

    settings.CHROMA_PATH = shutil.copytree(demo_index_path, tmp_path / "chroma")
    vector_store()
    _corrupt(settings.CHROMA_PATH)
    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever chromadb raises for garbage files
        vector_store_reopen()
    results = recommend("block ads on every site", k=3)
    assert results and "keyword search only" in caplog.text  # the chat still gets cards
    with pytest.raises(Exception):  # noqa: B017, PT011
        index_health()  # /readyz shows the index unhealthy
    with pytest.raises(CommandError, match="build_index --rebuild"):
        call_command("check_index")
    call_command("build_index", "--rebuild")
    assert index_health().endswith("add-ons indexed")
    assert dense_candidates("block ads on every site", filters=Filters(), exclude=frozenset())
    call_command("check_index")  # agrees again


def test_a_missing_index_is_named_in_the_log_when_opened(db, settings, tmp_path, caplog):
    settings.CHROMA_PATH = tmp_path / "nothing-here"
    vector_store()
    assert "the search index" in caplog.text and "is empty" in caplog.text and "build_index" in caplog.text
