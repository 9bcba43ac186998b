"""The websocket protocol v1 end to end with Channels' communicator (template replies, demo catalogue)."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from chatbot.dialogue.questions import TEXTS
from chatbot.models import Conversation, Message
from marketplace.asgi import application
from marketplace.models import Addon
from retrieval.models import Evidence

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def template_replies(settings):
    settings.LLM_BACKEND = "template"


async def connect(path: str = "/ws/chat/") -> tuple[WebsocketCommunicator, dict]:
    communicator = WebsocketCommunicator(application, path)
    connected, _ = await communicator.connect()
    assert connected
    return communicator, await communicator.receive_json_from(timeout=10)


async def until_done(communicator: WebsocketCommunicator) -> list[dict]:
    frames = []
    while True:
        frame = await communicator.receive_json_from(timeout=30)
        frames.append(frame)
        if frame["type"] in {"done", "error"}:
            return frames


async def test_session_cards_before_tokens_reply_and_done(demo_catalog):
    communicator, session = await connect()
    assert session["type"] == "session" and session["resumed"] is False and session["protocol"] == 1
    await communicator.send_json_to({"type": "message", "text": "block ads on every site"})
    frames = await until_done(communicator)
    types = [frame["type"] for frame in frames]
    assert types[0] == "cards" and "token" in types and types[-2:] == ["reply", "done"]
    assert types.index("cards") < types.index("token")
    cards = frames[0]["cards"]
    assert cards and {
        "slug",
        "name",
        "icon_url",
        "summary",
        "url",
        "rating",
        "rating_count",
        "users",
        "categories",
        "reason",
    } <= set(cards[0])
    reply = frames[-2]["text"]
    assert reply == "".join(frame["text"] for frame in frames if frame["type"] == "token")
    assert all(frame["turn"] == frames[0]["turn"] for frame in frames)
    stored = await database_sync_to_async(Message.objects.get)(role="assistant", turn=frames[0]["turn"])
    assert stored.text == reply and stored.generation["backend"] == "template" and stored.generation["adapter"] == ""
    await communicator.disconnect()


@pytest.mark.parametrize(
    "raw, code",
    [
        ("{not json", "bad_json"),
        (json.dumps({"type": "dance"}), "unknown_type"),
        (json.dumps(["message"]), "bad_frame"),
        (json.dumps({"type": "message", "text": "   "}), "empty_text"),
        (json.dumps({"type": "message", "text": "x" * 1001}), "text_too_long"),
        (json.dumps({"type": "message", "text": 42}), "bad_frame"),
        (json.dumps({"type": "feedback", "value": "meh"}), "bad_frame"),
        (json.dumps({"type": "feedback", "slug": "x", "value": "sideways"}), "bad_frame"),
        (json.dumps({"type": "answer", "question_id": 1, "option": "a"}), "bad_frame"),
    ],
)
async def test_bad_frames_get_an_error_and_the_connection_survives(demo_catalog, raw, code):
    communicator, _ = await connect()
    await communicator.send_to(text_data=raw)
    error = await communicator.receive_json_from(timeout=10)
    assert error == {"type": "error", "code": code, "message": error["message"]} and error["message"]
    await communicator.send_json_to({"type": "message", "text": "password manager"})
    assert (await until_done(communicator))[-1]["type"] == "done"
    await communicator.disconnect()


async def test_flood_is_rate_limited_without_closing(demo_catalog, settings):
    settings.CHAT_RATE_LIMIT = 3
    settings.CHAT_RATE_WINDOW = 60
    communicator, _ = await connect()
    for _ in range(5):
        await communicator.send_to(text_data="{bad")
    codes = [(await communicator.receive_json_from(timeout=10))["code"] for _ in range(5)]
    assert codes == ["bad_json"] * 3 + ["rate_limited"] * 2
    await communicator.disconnect()


async def test_resume_replays_the_conversation(demo_catalog):
    communicator, session = await connect()
    await communicator.send_json_to({"type": "message", "text": "dark mode for every site"})
    shown = (await until_done(communicator))[0]["cards"]
    await communicator.disconnect()
    again, resumed = await connect(f"/ws/chat/?session={session['session_id']}")
    assert resumed == {**resumed, "type": "session", "session_id": session["session_id"], "resumed": True}
    history = await again.receive_json_from(timeout=10)
    assert history["type"] == "history"
    assert history["messages"][0]["text"] == "dark mode for every site"
    assert history["messages"][1]["cards"] == shown
    await again.disconnect()


async def test_unknown_session_starts_fresh(demo_catalog):
    communicator, session = await connect("/ws/chat/?session=not-a-uuid")
    assert session["resumed"] is False
    await communicator.disconnect()


async def test_unsatisfied_asks_a_question_and_answers_refine_without_repeats(demo_catalog):
    communicator, _ = await connect()
    await communicator.send_json_to({"type": "message", "text": "something for videos"})
    first = (await until_done(communicator))[0]["cards"]
    await communicator.send_json_to({"type": "feedback", "value": "unsatisfied"})
    frames = await until_done(communicator)
    question = next(frame for frame in frames if frame["type"] == "question")
    assert 2 <= len(question["options"]) <= 5
    await communicator.send_json_to(
        {"type": "answer", "question_id": question["question_id"], "option": question["options"][0]["id"]}
    )
    refined = next(frame for frame in await until_done(communicator) if frame["type"] == "cards")["cards"]
    assert refined and not {c["slug"] for c in first} & {c["slug"] for c in refined}
    await communicator.send_json_to({"type": "more"})
    more = next(frame for frame in await until_done(communicator) if frame["type"] == "cards")["cards"]
    assert not {c["slug"] for c in first + refined} & {c["slug"] for c in more}
    await communicator.disconnect()


async def test_card_feedback_and_satisfied_are_stored(demo_catalog):
    communicator, session = await connect()
    await communicator.send_json_to({"type": "message", "text": "translate pages"})
    card = (await until_done(communicator))[0]["cards"][0]
    await communicator.send_json_to({"type": "feedback", "slug": card["slug"], "value": "down"})
    await until_done(communicator)
    await communicator.send_json_to({"type": "click", "slug": card["slug"]})
    assert [frame["type"] for frame in await until_done(communicator)] == ["done"]  # no turn, no reply
    await communicator.send_json_to({"type": "feedback", "value": "satisfied"})
    assert (await until_done(communicator))[-1]["type"] == "done"
    await communicator.disconnect()

    @database_sync_to_async
    def stored():
        conversation = Conversation.objects.get(session_id=session["session_id"])
        feedback = list(conversation.messages.filter(kind=Message.Kind.FEEDBACK).values_list("feedback", flat=True))
        evidence = set(Evidence.objects.values_list("addon__slug", "signal", "need", "session", "client"))
        return conversation, feedback, evidence

    conversation, feedback, evidence = await stored()
    assert conversation.outcome == "satisfied"
    assert {"slug": card["slug"], "value": "down"} in feedback and {"value": "satisfied"} in feedback
    # What the ranking learns from: the need the card was shown for, per session and visitor (here no
    # address is known, so the session stands for the visitor).
    session_id = str(conversation.session_id)
    learned = {(slug, signal, need) for slug, signal, need, *_ in evidence}
    assert {(card["slug"], "down", "translate pages"), (card["slug"], "click", "translate pages")} <= learned
    assert {(who_session, who) for *_, who_session, who in evidence} == {(session_id, session_id)}


async def test_every_client_frame_gets_exactly_one_done_or_error_in_order(demo_catalog):
    """The widget matches acknowledgements to what it sent (README protocol section)."""
    communicator, _ = await connect()
    burst = [
        {"type": "message", "text": "dark mode for every site"},
        {"type": "feedback", "slug": "x", "value": "up"},
        "not json",
        {"type": "more"},
        {"type": "tune", "params": {"temperature": 0.2}},
    ]
    for frame in burst:
        await communicator.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))
    terminal = []
    for _ in burst:
        terminal.append((await until_done(communicator))[-1]["type"])
    assert terminal == ["done", "done", "error", "done", "done"]
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


async def test_connecting_starts_loading_the_reply_model(demo_catalog, monkeypatch):
    from chatbot import turns

    warmed = []
    monkeypatch.setattr(turns, "turn_warm_later", lambda: warmed.append(True))
    communicator, session = await connect()
    assert session["type"] == "session" and warmed == [True]
    await communicator.disconnect()


async def test_a_german_rejection_gets_a_german_question_and_german_cards(demo_catalog):
    communicator, _ = await connect()
    await communicator.send_json_to({"type": "message", "text": "dark mode for websites"})
    first = await until_done(communicator)
    await communicator.send_json_to({"type": "message", "text": "nein, etwas anderes"})
    frames = await until_done(communicator)
    question = next(frame for frame in frames if frame["type"] == "question")
    assert question["text"] in {texts["de"] for texts in TEXTS.values()}
    assert next(frame for frame in frames if frame["type"] == "reply")["text"] == (
        "Eine kurze Frage, damit ich das Richtige finde."
    )
    assert [frame["type"] for frame in first][0] == "cards"
    await communicator.disconnect()


async def test_the_widgets_locale_words_the_conversation_until_the_visitors_words_say_otherwise(demo_catalog):
    communicator, _ = await connect("/ws/chat/?locale=fr")
    await communicator.send_json_to({"type": "message", "text": "dark mode"})
    frames = await until_done(communicator)
    reply = next(frame for frame in frames if frame["type"] == "reply")["text"]
    assert reply.startswith(("Voici", "Ceux-ci")) and "gratuit" in frames[0]["cards"][0]["reason"]
    await communicator.send_json_to({"type": "message", "text": "I need a password manager for my family"})
    frames = await until_done(communicator)
    assert next(frame for frame in frames if frame["type"] == "reply")["text"].startswith(("Here", "These"))
    await communicator.disconnect()


async def test_a_permission_constraint_in_words_filters_the_cards(demo_catalog):
    communicator, _ = await connect()
    await communicator.send_json_to(
        {"type": "message", "text": "translate a page without giving access to all my sites"}
    )
    frames = await until_done(communicator)
    slugs = [card["slug"] for card in frames[0]["cards"]]
    assert slugs
    needs_all = await database_sync_to_async(
        lambda: list(Addon.objects.filter(slug__in=slugs).values_list("needs_all_sites", flat=True))
    )()
    assert not any(needs_all)
    await communicator.disconnect()
