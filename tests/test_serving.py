"""`make prod` as the README runs it: two uvicorn web processes on PostgreSQL and Redis, a Celery worker, a
Chroma server and llama.cpp's model server; ready, chatting on both web processes, metrics summed over them,
an admin-side import seen by search, and SIGTERM stopping everything it started."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import httpx
import psycopg
import pytest
import redis
import websockets

from tests.conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT))
from bench.common import prod_drop_database, prod_start, prod_stop, wait_ready  # noqa: E402

pytestmark = pytest.mark.slow
FREE_STAR_CHARTS = {"q": "star charts of the night sky for amateur astronomers", "free": "1"}
ADD_AN_ADDON = (
    "from marketplace.records import AddonRecord; from marketplace.services import addons_upsert; "
    "addons_upsert(records=[AddonRecord(slug='zebra-telescope', name='Zebra Telescope', "
    "summary='Star charts of the night sky for amateur astronomers, with planets and constellations.')])"
)


def services_missing() -> str:
    try:
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=2).close()
        redis.Redis(socket_connect_timeout=2).ping()
    except (psycopg.OperationalError, redis.RedisError) as error:
        return f"PostgreSQL or Redis is not reachable on 127.0.0.1 ({error})"
    return ""


async def chat(url: str, text: str) -> tuple[int, list[dict]]:
    """One visitor: the server process that answered (from the session's process-wide counter) and the frames."""
    async with websockets.connect(url.replace("http", "ws") + "/ws/chat/") as socket:
        json.loads(await socket.recv())
        await socket.send(json.dumps({"type": "message", "text": text}))
        frames = []
        while not frames or frames[-1]["type"] not in {"done", "error"}:
            frames.append(json.loads(await asyncio.wait_for(socket.recv(), 120)))
        return len(frames), frames


def metric(text: str, name: str) -> float:
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name))


def test_make_prod_serves_chats_on_two_web_processes_and_stops_on_sigterm(tmp_path):
    if reason := services_missing():
        pytest.skip(reason)
    process, url, env = prod_start(tmp_path, web_workers=2)
    try:
        ready = wait_ready(url, timeout=600)
        assert ready.get("status") == "ready", (ready, (tmp_path / "prod.log").read_text()[-4000:])
        assert ready["checks"]["model"]["detail"].startswith("openai: server at")

        async def visitors():
            return await asyncio.gather(
                *(chat(url, need) for need in ["block ads", "dark mode", "password manager"] * 2)
            )

        for _, frames in asyncio.run(visitors()):
            assert frames[0]["type"] == "cards" and frames[-1]["type"] == "done", frames
        metrics = httpx.get(f"{url}/metrics").text
        assert metric(metrics, 'concierge_chat_turns_total{outcome="done"}') == 6
        assert metric(metrics, "concierge_chat_first_card_seconds_count") == 6
        log = (tmp_path / "prod.log").read_text()
        assert log.count("Started server process") >= 3  # two web processes and the model server
        # The catalogue changes in another process, as an import would: the Celery worker indexes it in the
        # Chroma server and both web processes' filtered searches find it, without a restart.
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", ADD_AN_ADDON], cwd=REPO_ROOT, env=env, check=True, timeout=120
        )
        found: list[set[str]] = []
        for _ in range(90):
            found = [  # four searches, spread over both web processes
                {card["slug"] for card in httpx.get(f"{url}/api/recommend", params=FREE_STAR_CHARTS).json()["results"]}
                for _ in range(4)
            ]
            if all("zebra-telescope" in slugs for slugs in found):
                break
            time.sleep(1)
        assert all("zebra-telescope" in slugs for slugs in found), found
    finally:
        survivors = prod_stop(process)
        prod_drop_database(env["DATABASE_URL"])
    assert survivors == []
    assert process.returncode is not None
