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


def serve(env: dict, log: Path | None = None) -> tuple[subprocess.Popen, str]:
    """daphne on a free local port with `env` (its output to `log`); the process and its http:// address, once
    it answers."""
    port = free_port()
    output = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - open as long as the server runs
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "marketplace.asgi:application"],
        cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT,
    )  # fmt: skip
    for _ in range(240):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    return server, f"http://127.0.0.1:{port}"


def demo_environment(scratch: Path, extra: dict) -> dict:
    """`make run`'s embedded default in `scratch`, with `extra` settings: SQLite migrated and the demo
    catalogue indexed; the environment to serve it with (serve(env))."""
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CHROMA_", "LLM_"))},
        "VAR_DIR": str(scratch), "LLM_CACHE_DIR": str(REPO / "var" / "models"), "CHAT_ALLOWED_ORIGINS": "*",
        "DATABASE_URL": f"sqlite:///{scratch}/db.sqlite3", "LOG_LEVEL": "WARNING", **extra,
    }  # fmt: skip
    for command in (["migrate", "--noinput"], ["load_demo_catalog", "--if-empty"], ["build_index"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=REPO, env=env, check=True, capture_output=True)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(url: str, timeout: float) -> dict:
    """Poll /readyz until it answers 200; its last answer (or {} when nothing answered)."""
    import httpx

    deadline, last = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{url}/readyz", timeout=5)
            last = response.json()
            if response.status_code == 200:
                return last
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(1)
    return last


def prod_start(
    scratch: Path, *, web_workers: int = 2, redis_db: int = 12, extra: dict | None = None
) -> tuple[subprocess.Popen, str, dict]:
    """`make prod` on free ports with a fresh PostgreSQL database and Redis database, its files under
    `scratch`; the process, its http:// address and its environment (drop the database with prod_drop_database)."""
    database = f"concierge_bench_{os.getpid()}_{int(time.time())}"
    port, chroma_port, llm_port = free_port(), free_port(), free_port()
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CHROMA_", "LLM_"))},
        "PORT": str(port), "WEB_WORKERS": str(web_workers), "CHROMA_PORT": str(chroma_port), "LLM_PORT": str(llm_port),
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}",
        "CHROMA_SERVER_PATH": str(scratch / "chroma-server"), "VAR_DIR": str(scratch),
        "PROMETHEUS_MULTIPROC_DIR": str(scratch / "prometheus"), "LLM_CACHE_DIR": str(REPO / "var" / "models"),
        "CHAT_ALLOWED_ORIGINS": "*", **(extra or {}),
    }  # fmt: skip
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    log = open(scratch / "prod.log", "w")  # noqa: SIM115 - open as long as the process runs
    process = subprocess.Popen(["make", "-s", "prod"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    env["CHROMA_URL"] = f"http://127.0.0.1:{chroma_port}"  # what prod.sh derives, for commands run beside it
    return process, f"http://127.0.0.1:{port}", env


def prod_stop(process: subprocess.Popen, timeout: float = 60) -> list[str]:
    """SIGTERM to make prod, as Ctrl-C or an orchestrator would; what it started and left running."""
    import psutil

    started = psutil.Process(process.pid).children(recursive=True)
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
    gone, alive = psutil.wait_procs(started, timeout=15)
    survivors = [" ".join(proc.cmdline()[:4]) for proc in alive if proc.is_running()]
    for proc in alive:
        proc.kill()
    return survivors


def prod_drop_database(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
