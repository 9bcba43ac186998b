"""Conversation services: open/resume, and the optional LOGGING_URL export that never breaks the chat."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chatbot.models import Conversation, Message
from chatbot.selectors import conversation_find
from chatbot.services import conversation_export, conversation_start, message_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def collector():
    received: list[dict] = []
    status = {"code": 204}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(status["code"])
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/conversations", received, status
    server.shutdown()
    server.server_close()


def conversation_with_messages() -> Conversation:
    conversation = conversation_start(session_id=uuid.uuid4(), origin="https://shop.example")
    message_record(
        conversation=conversation, turn=1, role=Message.Role.VISITOR, kind=Message.Kind.MESSAGE, text="block ads"
    )
    message_record(
        conversation=conversation,
        turn=1,
        role=Message.Role.ASSISTANT,
        kind=Message.Kind.REPLY,
        text="Here you go",
        cards=[{"slug": "ublock-origin", "name": "uBlock Origin"}],
    )
    return conversation


def test_a_session_is_found_only_when_well_formed_and_stored():
    session_id = uuid.uuid4()
    assert conversation_find(session_id=str(session_id)) is None
    conversation = conversation_start(session_id=session_id, origin="https://shop.example", locale="de")
    assert conversation_start(session_id=session_id) == conversation  # a second start finds the first
    assert conversation_find(session_id=str(session_id)) == conversation and conversation.locale == "de"
    assert conversation_find(session_id="nonsense") is None
    assert conversation_find(session_id="") is None


def test_export_is_off_without_logging_url(settings):
    settings.LOGGING_URL = ""
    assert conversation_export(conversation_id=conversation_with_messages().pk) is False


def test_export_posts_the_conversation_as_json(settings, collector):
    url, received, _ = collector
    settings.LOGGING_URL = url
    conversation = conversation_with_messages()
    assert conversation_export(conversation_id=conversation.pk) is True
    body = received[0]
    assert body["session_id"] == str(conversation.session_id) and body["origin"] == "https://shop.example"
    assert [m["text"] for m in body["messages"]] == ["block ads", "Here you go"]
    assert body["messages"][1]["cards"][0]["slug"] == "ublock-origin"
    conversation.refresh_from_db()
    assert conversation.exported_at is not None


def test_export_failures_are_swallowed(settings, collector):
    url, _, status = collector
    status["code"] = 500
    settings.LOGGING_URL = url
    assert conversation_export(conversation_id=conversation_with_messages().pk) is False
    settings.LOGGING_URL = "http://127.0.0.1:9/unreachable"
    assert conversation_export(conversation_id=conversation_with_messages().pk) is False
