"""/healthz, /readyz and /metrics: what an orchestrator and Prometheus read."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import AsyncClient

from marketplace.logs import JsonFormatter

pytestmark = pytest.mark.django_db(transaction=True)


async def test_healthz_answers_without_touching_anything():
    response = await AsyncClient().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_readyz_is_ready_with_an_indexed_catalogue(demo_catalog, settings):
    settings.LLM_BACKEND = "template"
    response = await AsyncClient().get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert set(body["checks"]) == {"database", "channel_layer", "index", "model"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["index"]["detail"].endswith("add-ons indexed")


async def test_readyz_names_an_empty_index_and_an_unreachable_model_server(db, settings):
    settings.LLM_BACKEND, settings.LLM_OPENAI_URL = "openai", "http://127.0.0.1:9/v1"  # nothing listens on 9
    response = await AsyncClient().get("/readyz")
    checks = response.json()["checks"]
    assert response.status_code == 503
    assert checks["database"]["ok"] and checks["channel_layer"]["ok"]
    assert not checks["index"]["ok"] and "build_index" in checks["index"]["detail"]
    assert not checks["model"]["ok"] and "127.0.0.1:9" in checks["model"]["detail"]


async def test_metrics_count_turns_and_first_cards(demo_catalog, settings):
    from channels.testing import WebsocketCommunicator

    from marketplace.asgi import application

    settings.LLM_BACKEND = "template"

    def sample(text: str, name: str) -> float:
        return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " "))

    before = (await AsyncClient().get("/metrics")).content.decode()
    communicator = WebsocketCommunicator(application, "/ws/chat/")
    await communicator.connect()
    await communicator.receive_json_from(timeout=10)
    await communicator.send_json_to({"type": "message", "text": "block ads"})
    while (await communicator.receive_json_from(timeout=30))["type"] != "done":
        pass
    during = (await AsyncClient().get("/metrics")).content.decode()
    await communicator.disconnect()
    assert sample(during, 'concierge_chat_turns_total{outcome="done"}') == (
        sample(before, 'concierge_chat_turns_total{outcome="done"}') + 1
    )
    assert sample(during, "concierge_chat_first_card_seconds_count") == (
        sample(before, "concierge_chat_first_card_seconds_count") + 1
    )
    assert sample(during, "concierge_chat_open_connections") == sample(before, "concierge_chat_open_connections") + 1
    assert "concierge_chat_template_fallbacks_total" in during and "concierge_lane_pending" in during


def test_json_logs_are_one_object_per_line_with_extras():
    record = logging.LogRecord("chatbot", logging.WARNING, __file__, 1, "turn %s failed", (3,), None)
    record.session = "abc"
    entry = json.loads(JsonFormatter().format(record))
    assert (entry["level"], entry["logger"], entry["message"], entry["session"]) == (
        "WARNING",
        "chatbot",
        "turn 3 failed",
        "abc",
    )


def test_an_unknown_log_format_is_refused(tmp_path):
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO_ROOT,
        env={"DJANGO_SETTINGS_MODULE": "marketplace.settings", "LOG_FORMAT": "yaml", "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "LOG_FORMAT must be 'text' or 'json'" in result.stderr
