"""With REDIS_URL, tasks go to a real `celery -A marketplace worker` (skipped when Redis is not reachable)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid

import pytest

from tests.conftest import REPO_ROOT

PAGE = REPO_ROOT / "tests" / "scraper" / "fixtures" / "search_results.html"

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
SEND = """
from marketplace.celery import app
from scraper.models import ScrapeRun
run = ScrapeRun.objects.create(kind="html", params={{"path": "{page}"}})
result = app.send_task("scraper.tasks.scrape_run_execute", args=(run.pk,), queue="{queue}")
print("result", result.get(timeout=90))
run.refresh_from_db()
print("created", run.created)
"""


def redis_reachable() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.slow
def test_a_real_worker_runs_a_task_through_redis(tmp_path):
    if not redis_reachable():
        pytest.skip(f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}; the worker test needs a broker")
    queue = f"concierge-test-{uuid.uuid4().hex[:8]}"  # a private queue: no other worker takes our task
    env = {
        **{key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "CHROMA_URL"}},
        "VAR_DIR": str(tmp_path),
        "CATALOGUE_CHANGED_HOOK": "",
        "REDIS_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/14",
        "LOG_LEVEL": "INFO",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "marketplace",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{queue}@%h",
            "-l",
            "INFO",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        sent = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", SEND.format(page=PAGE, queue=queue)],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        worker.terminate()
        log = worker.communicate(timeout=60)[0]
    assert sent.returncode == 0, sent.stderr[-3000:]
    assert sent.stdout.split("\n")[-3:-1] == ["result succeeded", "created 2"]
    assert "scraper.tasks.scrape_run_execute" in log and "succeeded" in log
