"""Serving many visitors: handshakes never wait behind turns, bare connections store nothing, full lanes and
full processes answer "busy", and a flood of frames on one connection is bounded and answered in order."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from chatbot import consumers
from chatbot.inbox import Inbox, Refusal
from chatbot.lanes import Lane, LaneFull, turn_lane
from chatbot.models import Conversation
from marketplace.asgi import application

from .test_consumer import connect, until_done

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def template_replies(settings):
    settings.LLM_BACKEND = "template"


@pytest.fixture
def one_thread_lane(settings):
    """The turn lane with one thread and no queue, so a single blocked job fills it."""
    settings.CHAT_TURN_THREADS, settings.CHAT_TURN_QUEUE = 1, 0
    turn_lane.cache_clear()
    release = threading.Event()
    yield release
    release.set()
    turn_lane.cache_clear()


async def test_a_bare_connection_stores_nothing_and_the_first_frame_stores_its_session(demo_catalog):
    count = database_sync_to_async(Conversation.objects.count)
    communicator, session = await connect()
    assert session["resumed"] is False and await count() == 0
    await communicator.send_json_to({"type": "message", "text": "block ads"})
    assert (await until_done(communicator))[-1]["type"] == "done"
    stored = await database_sync_to_async(Conversation.objects.get)()
    assert str(stored.session_id) == session["session_id"]
    await communicator.disconnect()
    again, resumed = await connect(f"/ws/chat/?session={session['session_id']}")
    assert resumed["resumed"] is True and (await again.receive_json_from(timeout=10))["type"] == "history"
    await again.disconnect()


async def test_an_unknown_session_starts_afresh_under_a_new_id(demo_catalog):
    unknown = str(uuid.uuid4())
    communicator, session = await connect(f"/ws/chat/?session={unknown}")
    assert session["resumed"] is False and session["session_id"] != unknown
    await communicator.disconnect()


async def test_handshakes_are_answered_while_the_turn_lane_is_full_and_turns_get_busy(demo_catalog, one_thread_lane):
    lane = turn_lane()
    blocker = asyncio.ensure_future(lane.run(one_thread_lane.wait))
    await asyncio.sleep(0.05)
    communicator, session = await asyncio.wait_for(connect(), timeout=3)
    assert session["type"] == "session"
    await communicator.send_json_to({"type": "message", "text": "block ads"})
    busy = await communicator.receive_json_from(timeout=5)
    assert busy["type"] == "error" and busy["code"] == "busy" and busy["retry_after"] > 0
    one_thread_lane.set()
    await blocker
    await communicator.send_json_to({"type": "message", "text": "block ads"})  # as the widget's retry does
    frames = await until_done(communicator)
    assert frames[0]["type"] == "cards" and frames[-1]["type"] == "done"
    await communicator.disconnect()


async def test_a_full_process_says_busy_and_closes_with_try_again_later(demo_catalog, settings):
    settings.CHAT_MAX_CONNECTIONS = 1
    first, _ = await connect()
    second = WebsocketCommunicator(application, "/ws/chat/")
    connected, _ = await second.connect()
    assert connected
    busy = await second.receive_json_from(timeout=5)
    assert busy["code"] == "busy"
    assert (await second.receive_output(timeout=5)) == {"type": "websocket.close", "code": consumers.TRY_AGAIN_LATER}
    await first.disconnect()
    third, session = await connect()  # the slot is free again
    assert session["type"] == "session"
    await third.disconnect()


async def test_a_pipelined_flood_is_limited_on_arrival_and_every_frame_answered_in_order(demo_catalog, settings):
    settings.CHAT_RATE_LIMIT, settings.CHAT_INBOX_SIZE = 100, 3
    communicator, _ = await connect()
    frames = [{"type": "message", "text": f"dark mode {n}"} for n in range(12)]
    for frame in frames:
        await communicator.send_to(text_data=json.dumps(frame))
    answers = [(await until_done(communicator))[-1] for _ in frames]
    codes = [answer.get("code", answer["type"]) for answer in answers]
    # The first frame is being handled or waits; at most 3 wait: the rest are refused, each in its place.
    assert codes.count("done") <= 4 and codes.count("rate_limited") >= 8
    assert codes[0] == "done"
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_the_rate_limit_counts_frames_when_they_arrive(demo_catalog, settings):
    settings.CHAT_RATE_LIMIT, settings.CHAT_INBOX_SIZE = 3, 100
    communicator, _ = await connect()
    for n in range(8):
        await communicator.send_to(text_data=json.dumps({"type": "message", "text": f"block ads {n}"}))
    codes = [(await until_done(communicator))[-1].get("code", "done") for _ in range(8)]
    assert codes == ["done"] * 3 + ["rate_limited"] * 5
    await communicator.disconnect()


async def test_inbox_keeps_order_bounds_frames_and_stores_refusals_as_runs():
    inbox = Inbox(2)
    assert inbox.put("a") and inbox.put("b") and not inbox.put("c")
    for _ in range(1000):
        inbox.refuse("rate_limited", "slow down")
    assert len(inbox._items) == 3  # two frames and one run of refusals
    assert [await inbox.get(), await inbox.get()] == ["a", "b"]
    refusal = await inbox.get()
    assert isinstance(refusal, Refusal) and refusal.count == 1000
    assert inbox.put("d") and await inbox.get() == "d"


async def test_a_lane_refuses_beyond_its_capacity_but_never_admitted_work():
    lane = Lane("test", workers=1, queue=1)
    release = threading.Event()
    running = [asyncio.ensure_future(lane.run(release.wait)) for _ in range(2)]
    await asyncio.sleep(0.05)
    with pytest.raises(LaneFull):
        await lane.run(lambda: "refused")
    admitted = asyncio.ensure_future(lane.run(lambda: "admitted", admitted=True))
    release.set()
    assert await asyncio.gather(*running) == [True, True] and await admitted == "admitted"
    assert lane.pending == 0


async def test_one_address_may_hold_only_so_many_connections(demo_catalog, settings):
    settings.CHAT_MAX_CONNECTIONS_PER_IP = 2

    def from_address(address: str) -> WebsocketCommunicator:
        communicator = WebsocketCommunicator(application, "/ws/chat/")
        communicator.scope["client"] = (address, 50000)
        return communicator

    held = [from_address("203.0.113.7") for _ in range(2)]
    for communicator in held:
        assert (await communicator.connect())[0]
        await communicator.receive_json_from(timeout=10)
    third = from_address("203.0.113.7")
    await third.connect()
    assert (await third.receive_json_from(timeout=5))["code"] == "too_many_connections"
    assert (await third.receive_output(timeout=5))["code"] == consumers.POLICY_VIOLATION
    other = from_address("198.51.100.1")  # another visitor is not affected
    assert (await other.connect())[0]
    assert (await other.receive_json_from(timeout=10))["type"] == "session"
    for communicator in [*held, other]:
        await communicator.disconnect()
