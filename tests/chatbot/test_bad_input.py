"""Frames no JSON parser should choke on, and turns that fail half-way: a clear error, nothing stored, and the
conversation goes on as if the bad frame had never come."""

from __future__ import annotations

import uuid

import pytest
from channels.db import database_sync_to_async

from chatbot import turns
from chatbot.models import Conversation
from chatbot.protocol import ProtocolError, parse_client_frame

from .test_consumer import connect, until_done

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def template_replies(settings):
    settings.LLM_BACKEND = "template"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ('{"type": "message", "text": "x", "n": ' + "9" * 5000 + "}", "bad_json"),  # over Python's digit limit
        ("[" * 3000 + "]" * 3000, "bad_json"),  # deeper than the recursion limit, within the size limit
        (b"\xff\xfe{}", "bad_json"),
        ('{"type": "message", "text": "vpn \\ud800"}', "bad_frame"),  # a lone surrogate cannot be stored
        ('{"type": "message", "text": "vpn\\u0000"}', "bad_frame"),  # nor can a NUL on PostgreSQL
        ('{"type": "feedback", "slug": "\\udfff", "value": "up"}', "bad_frame"),
    ],
)
def test_unparseable_and_unstorable_frames_get_a_clear_code(raw, code):
    with pytest.raises(ProtocolError) as error:
        parse_client_frame(raw)
    assert error.value.code == code


async def test_a_bad_frame_changes_nothing_and_the_conversation_goes_on(demo_catalog):
    communicator, session = await connect()
    await communicator.send_json_to({"type": "message", "text": "block ads"})
    assert (await until_done(communicator))[-1]["type"] == "done"
    await communicator.send_to(text_data='{"type": "message", "text": "vpn \\ud800"}')
    assert (await until_done(communicator))[-1]["code"] == "bad_frame"
    await communicator.send_json_to({"type": "message", "text": "dark mode"})
    frames = await until_done(communicator)
    assert frames[0]["type"] == "cards" and frames[0]["turn"] == 2 and frames[-1]["type"] == "done"
    await communicator.disconnect()


async def test_a_turn_that_fails_half_way_stores_nothing_and_the_next_turn_takes_its_number(demo_catalog, monkeypatch):
    communicator, session = await connect()
    await communicator.send_json_to({"type": "message", "text": "block ads"})
    await until_done(communicator)
    original = turns.reply_request

    def broken(*args, **kwargs):
        monkeypatch.setattr(turns, "reply_request", original)  # fails once, after the policy changed the state
        raise RuntimeError("the reply could not be prepared")

    monkeypatch.setattr(turns, "reply_request", broken)
    await communicator.send_json_to({"type": "message", "text": "password manager"})
    frames = await until_done(communicator)
    assert frames[-1]["code"] == "server_error"
    await communicator.send_json_to({"type": "message", "text": "dark mode"})
    frames = await until_done(communicator)
    assert frames[0]["turn"] == 2 and frames[-1] == {"type": "done", "turn": 2}
    await communicator.disconnect()

    @database_sync_to_async
    def stored():
        conversation = Conversation.objects.get(session_id=session["session_id"])
        return conversation.state, list(conversation.messages.values_list("turn", "role", "text"))

    state, messages = await stored()
    assert [turn for turn, _, _ in messages] == [1, 1, 2, 2]
    assert not any("password" in text for _, _, text in messages)
    assert "password manager" not in state["needs"]


async def test_two_tabs_follow_each_other_and_a_racing_turn_is_refused_not_lost(demo_catalog):
    first, session = await connect()
    await first.send_json_to({"type": "message", "text": "block ads"})
    await until_done(first)
    second, resumed = await connect(f"/ws/chat/?session={session['session_id']}")
    assert resumed["resumed"] is True
    await second.receive_json_from(timeout=10)  # history
    await first.send_json_to({"type": "message", "text": "password manager for my family"})
    await until_done(first)
    await second.send_json_to({"type": "more"})  # "more" of the need the other tab said last
    frames = await until_done(second)
    assert frames[-1] == {"type": "done", "turn": 3}

    @database_sync_to_async
    def query_and_turns():
        conversation = Conversation.objects.get(session_id=session["session_id"])
        return conversation.state["query"], sorted({turn for (turn,) in conversation.messages.values_list("turn")})

    query, stored_turns = await query_and_turns()
    assert "password" in query and stored_turns == [1, 2, 3]
    await first.disconnect()
    await second.disconnect()


def test_a_turn_whose_conversation_moved_on_meanwhile_is_refused(demo_catalog):
    from chatbot.dialogue.events import Message as Said
    from chatbot.services import conversation_start

    conversation = conversation_start(session_id=uuid.uuid4())
    other_tab = Conversation.objects.get(pk=conversation.pk)
    mine = turns._decide(conversation, Said(text="block ads"))
    theirs = turns._decide(other_tab, Said(text="dark mode"))
    turns._finish(other_tab, Said(text="dark mode"), *theirs, "", {}, {})
    with pytest.raises(turns.TurnConflict):
        turns._finish(conversation, Said(text="block ads"), *mine, "", {}, {})
    assert Conversation.objects.get(pk=conversation.pk).messages.count() == 2  # the other tab's turn only
