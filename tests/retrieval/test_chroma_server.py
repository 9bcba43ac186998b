"""CHROMA_URL: the same sync and retrieval against a real Chroma server (the `chroma run` the package ships)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from marketplace.jobs import jobs_wait
from marketplace.records import AddonRecord
from marketplace.services import addons_upsert
from retrieval.recommend import recommend
from retrieval.sync import index_drift

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chroma_server(tmp_path, settings):
    executable = shutil.which("chroma", path=str(Path(sys.executable).parent))
    if executable is None:
        pytest.skip("the `chroma` server command is not installed in this environment")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [executable, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.skip("the Chroma server did not start within 20 s")
        settings.CHROMA_URL = f"http://127.0.0.1:{port}"
        yield settings.CHROMA_URL
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_index_sync_and_recommend_through_a_chroma_server(chroma_server):
    addons_upsert(
        records=[
            AddonRecord(
                slug="ad-wall",
                name="Ad Wall",
                summary="Blocks ads and trackers on every site",
                categories=["privacy-security"],
            ),
            AddonRecord(
                slug="tab-nap", name="Tab Nap", summary="Puts idle tabs to sleep to save memory", categories=["tabs"]
            ),
        ]
    )
    assert jobs_wait(60) and index_drift().total == 0
    assert [r.addon.slug for r in recommend("stop ads", k=1)] == ["ad-wall"]
    assert [r.addon.slug for r in recommend("firefox uses too much memory with tabs", k=1)] == ["tab-nap"]
