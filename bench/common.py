"""Bench scaffolding: a scratch database and index, so benches never touch var/."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "datasets"


def scratch_django() -> Path:
    """Point Django at a fresh SQLite file and Chroma folder, set it up and migrate."""
    scratch = Path(tempfile.mkdtemp(prefix="concierge-bench-"))
    sys.path.insert(0, str(REPO))
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    os.environ["VAR_DIR"] = str(scratch)
    os.environ["CHROMA_PATH"] = str(scratch / "chroma")
    os.environ.pop("CHROMA_URL", None)
    os.environ["CATALOGUE_CHANGED_HOOK"] = ""  # benches sync the index themselves, when and if they time it
    os.environ.setdefault("LLM_CACHE_DIR", str(REPO / "var" / "models"))  # the converted model, not again per run
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return scratch


def import_catalog(path: Path, *, index: bool = True):
    """Import an AMO API JSON file (and, with `index`, embed it into the index) and return the run."""
    from retrieval.sync import index_sync
    from scraper.models import ScrapeRun
    from scraper.services import catalog_import, scrape_run_create

    run = scrape_run_create(kind=ScrapeRun.Kind.IMPORT, params={"sources": [str(path)], "full": True})
    run = catalog_import(run_id=run.pk)
    if index:
        index_sync()
    return run


def percentiles(samples: list[float]) -> str:
    """p50 and p95 of durations in seconds, in milliseconds."""
    if not samples:
        return "n/a"
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (n={len(ordered)})"


def serve(env: dict) -> tuple[subprocess.Popen, str]:
    """daphne on a free local port with `env`; the process and its http:// address, once it answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "marketplace.asgi:application"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(240):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    return server, f"http://127.0.0.1:{port}"
