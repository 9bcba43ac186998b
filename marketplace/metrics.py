"""Prometheus metrics, one definition each; /metrics (marketplace.health) exposes them.

With several web processes (make prod), PROMETHEUS_MULTIPROC_DIR makes every process write its
values to files there and /metrics sums them; gauges then add up the live processes' values.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Latency buckets in seconds, dense where the aims are (first card ≤ 0.3 s).
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 3, 5, 10, 20, 30, 60)

TURNS = Counter("concierge_chat_turns", "Chat turns handled, by how they ended", ["outcome"])
FIRST_CARD = Histogram(
    "concierge_chat_first_card_seconds", "From a visitor's frame to its cards", buckets=LATENCY_BUCKETS
)
FIRST_TOKEN = Histogram(
    "concierge_chat_first_token_seconds", "From a visitor's frame to the reply's first words", buckets=LATENCY_BUCKETS
)
TEMPLATE_FALLBACKS = Counter(
    "concierge_chat_template_fallbacks", "Replies the template wrote because the model could not (busy, failed, slow)"
)
OPEN_CONNECTIONS = Gauge("concierge_chat_open_connections", "Open chat websockets", multiprocess_mode="livesum")
REFUSED_HANDSHAKES = Counter("concierge_chat_refused_handshakes", "Websockets turned away because the process was full")
LANE_PENDING = Gauge(
    "concierge_lane_pending", "Jobs running or waiting in a lane", ["lane"], multiprocess_mode="livesum"
)
LANE_REFUSED = Counter("concierge_lane_refused", "Jobs a full lane refused", ["lane"])
INBOX_REFUSED = Counter("concierge_chat_inbox_refused", "Client frames refused because a connection sent too many")
GENERATIONS = Gauge(
    "concierge_llm_generations", "Replies being generated or waiting for the model", multiprocess_mode="livesum"
)
