import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chatbot.llm.base import LLMUnavailable
from chatbot.llm.openai_backend import OpenAIBackend, delta_text
from chatbot.llm.runner import stream_reply
from tests.chatbot.llm.conftest import CATALOGUE

PIECES = ["uBlock", " Origin", " blocks", " ads."]


class FakeCompletions(BaseHTTPRequestHandler):
    """A chat-completions endpoint streaming PIECES as server-sent events, or failing with `status`."""

    status = 200
    received: list[tuple[dict, dict]] = []
    paths: list[str] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append((dict(self.headers), body))
        self.paths.append(self.path)
        if self.path.endswith("/load_lora_adapter"):
            self.send_response(200)
            self.end_headers()
            return
        if self.status != 200:
            self.send_error(self.status)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.write(b": keep-alive\n\n")
        for piece in PIECES:
            event = {"choices": [{"index": 0, "delta": {"content": piece}}]}
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\ndata: [DONE]\n\n')

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    handler = type("Handler", (FakeCompletions,), {"received": [], "paths": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def dead_url():
    with socket.socket() as probe:  # a port nobody listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def test_streams_pieces_and_sends_the_sampling_parameters(server, request_for, params):
    handler, url = server
    backend = OpenAIBackend(url, "smollm2-ft", "secret", timeout=5)
    assert list(backend.stream(request_for(), params.tuned(top_k=0))) == PIECES
    headers, body = handler.received[0]
    assert headers["Authorization"] == "Bearer secret"
    assert body["model"] == "smollm2-ft" and body["stream"] is True
    assert body["messages"][0]["role"] == "system" and "uBlock Origin" in body["messages"][-1]["content"]
    assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.0, 0.9, 32)
    assert (body["top_k"], body["repetition_penalty"]) == (-1, 1.1)


def test_no_key_sends_no_authorization(server, request_for, params):
    handler, url = server
    list(OpenAIBackend(url, "m", "", timeout=5).stream(request_for(), params))
    assert "Authorization" not in handler.received[0][0]


def test_http_errors_are_unavailable(server, request_for, params):
    handler, url = server
    handler.status = 503
    with pytest.raises(LLMUnavailable, match="503"):
        list(OpenAIBackend(url, "m", "", timeout=5).stream(request_for(), params))


def test_a_down_server_is_unavailable(dead_url, request_for, params):
    with pytest.raises(LLMUnavailable):
        list(OpenAIBackend(dead_url, "m", "", timeout=2).stream(request_for(), params))


@pytest.mark.parametrize(
    "line, text",
    [
        ("data: [DONE]", None),
        ("", ""),
        (": ping", ""),
        ("event: x", ""),
        ('data: {"choices": []}', ""),
        ('data: {"choices": [{"delta": {"content": "Hi"}}]}', "Hi"),
    ],
)
def test_delta_text(line, text):
    assert delta_text(line) == text


def test_malformed_events_are_unavailable():
    with pytest.raises(LLMUnavailable):
        delta_text("data: {not json")


async def test_the_runner_streams_from_the_endpoint(settings, server, request_for, params):
    settings.LLM_BACKEND, settings.LLM_OPENAI_URL = "openai", server[1]
    events = [event async for event in stream_reply(request_for(), params, catalogue_names=CATALOGUE)]
    assert events[-1].full_text == "uBlock Origin blocks ads."
    assert (events[-1].backend, events[-1].fell_back) == ("openai", False)


async def test_the_runner_falls_back_when_the_endpoint_is_down(settings, dead_url, request_for, params):
    settings.LLM_BACKEND, settings.LLM_OPENAI_URL = "openai", dead_url
    events = [event async for event in stream_reply(request_for(), params, catalogue_names=CATALOGUE)]
    assert (events[-1].backend, events[-1].fell_back) == ("template", True)
    assert "uBlock Origin" in events[-1].full_text


@pytest.mark.parametrize(
    ("mode", "model", "paths"),
    [
        ("off", "smollm2", ["/v1/chat/completions"]),
        ("named", "concierge-run-7", ["/v1/chat/completions"]),
        ("load", "concierge-run-7", ["/v1/load_lora_adapter", "/v1/chat/completions", "/v1/chat/completions"]),
    ],
)
def test_the_promoted_adapter_is_requested_by_name_and_loaded_once_when_asked(
    server, request_for, params, settings, monkeypatch, mode, model, paths
):
    from chatbot.llm import openai_backend, runner

    handler, url = server
    settings.LLM_BACKEND, settings.LLM_OPENAI_URL, settings.LLM_OPENAI_MODEL = "openai", url, "smollm2"
    settings.LLM_OPENAI_ADAPTERS, settings.LLM_ADAPTER = mode, "/srv/training/run-7/adapter"
    monkeypatch.setattr(openai_backend, "_loaded_adapters", set())
    for _ in range(2 if mode == "load" else 1):
        backend = runner.get_backend()
        assert list(backend.stream(request_for(), params)) == PIECES
    assert handler.paths == paths
    assert handler.received[-1][1]["model"] == model
    if mode == "load":
        assert handler.received[0][1] == {"lora_name": "concierge-run-7", "lora_path": "/srv/training/run-7/adapter"}
    assert backend.adapter == ("" if mode == "off" else "/srv/training/run-7/adapter")  # recorded with replies


def test_an_unknown_adapter_mode_is_refused(settings):
    from django.core.exceptions import ImproperlyConfigured

    from chatbot.llm import runner

    settings.LLM_BACKEND, settings.LLM_OPENAI_URL, settings.LLM_OPENAI_ADAPTERS = "openai", "http://x/v1", "maybe"
    with pytest.raises(ImproperlyConfigured, match="LLM_OPENAI_ADAPTERS"):
        runner.get_backend()
