"""Liveness, readiness and metrics for orchestrators and Prometheus.

/healthz: the process answers. /readyz: it can serve a visitor — database, channel layer, search index and
reply model each checked with a short timeout, 503 naming what failed. /metrics: Prometheus text, summed
over every web process when PROMETHEUS_MULTIPROC_DIR is set (make prod).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from chatbot.llm.runner import model_health
from retrieval.health import index_health

CHECK_TIMEOUT = 3.0


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.close()  # a probe every few seconds must not hold a connection per thread
    return "ok"


async def _channel_layer() -> str:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer is configured")
    channel = await layer.new_channel("readyz.")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "readyz.ping", "token": token})
    if (await layer.receive(channel)).get("token") != token:
        raise RuntimeError("the channel layer returned another message")
    return "ok"


async def _check(probe: Callable[[], Awaitable[str]]) -> dict:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(probe(), CHECK_TIMEOUT)
        ok = True
    except Exception as error:  # noqa: BLE001 - any failure is the answer, named
        detail, ok = f"{type(error).__name__}: {error}"[:300] or "timed out", False
    return {"ok": ok, "detail": detail, "ms": int((time.perf_counter() - started) * 1000)}


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
async def readyz(request: HttpRequest) -> JsonResponse:
    probes: dict[str, Callable[[], Awaitable[str]]] = {
        "database": sync_to_async(_database, thread_sensitive=False),
        "channel_layer": _channel_layer,
        "index": sync_to_async(index_health, thread_sensitive=False),
        "model": sync_to_async(model_health, thread_sensitive=False),
    }
    results = await asyncio.gather(*(_check(probe) for probe in probes.values()))
    checks = dict(zip(probes, results, strict=True))
    ready = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ready" if ready else "not ready", "checks": checks}, status=200 if ready else 503)


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
