"""The websocket frame schema, protocol v1: the one place every frame type is defined.

Client frames are parsed into dialogue events (or a ProtocolError with a code the widget can show);
server frames are built by the functions below. The README's protocol section documents the same.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from chatbot.dialogue.events import Answer, CardFeedback, Message, More, Reset, Satisfied, Unsatisfied
from retrieval.query import MAX_QUERY_CHARS

PROTOCOL_VERSION = 1
MAX_TEXT_CHARS = MAX_QUERY_CHARS  # a message is a need: what a search takes
MAX_FRAME_BYTES = 8192
SLUG = re.compile(r"^[\w-]{1,255}$")  # as the catalogue stores them (unicode letters allowed)


class ErrorCode:
    BAD_JSON = "bad_json"
    BAD_FRAME = "bad_frame"
    UNKNOWN_TYPE = "unknown_type"
    EMPTY_TEXT = "empty_text"
    TEXT_TOO_LONG = "text_too_long"
    RATE_LIMITED = "rate_limited"
    TOO_MANY_CONNECTIONS = "too_many_connections"  # CHAT_MAX_CONNECTIONS_PER_IP; the connection is closed (1008)
    BUSY = "busy"  # the service is full: retry after `retry_after` seconds (the widget does, with backoff)
    CONFLICT = "conflict"  # another tab of the same chat stored a turn meanwhile; nothing of this one was stored
    SERVER_ERROR = "server_error"


@dataclass
class ProtocolError(Exception):
    code: str
    message: str


@dataclass(frozen=True)
class Tune:
    """Per-session generation settings, clamped to safe bounds by the LLM layer."""

    params: dict[str, Any]


@dataclass(frozen=True)
class Click:
    """The visitor opened a card's add-on ("View add-on"): remembered as a weak signal, no reply."""

    slug: str


def _text(frame: dict, key: str) -> str:
    value = frame.get(key)
    if not isinstance(value, str):
        raise ProtocolError(ErrorCode.BAD_FRAME, f"'{key}' must be a string")
    if "\x00" in value or not _encodable(value):  # neither can be stored (PostgreSQL, UTF-8)
        raise ProtocolError(ErrorCode.BAD_FRAME, f"'{key}' holds a NUL or a lone surrogate, which text cannot")
    return value


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _feedback(frame: dict):
    value = frame.get("value")
    if "slug" in frame:
        if value not in ("up", "down"):
            raise ProtocolError(ErrorCode.BAD_FRAME, "card feedback 'value' must be 'up' or 'down'")
        return CardFeedback(slug=_slug(frame), value=value)
    if value == "satisfied":
        return Satisfied()
    if value == "unsatisfied":
        return Unsatisfied()
    raise ProtocolError(ErrorCode.BAD_FRAME, "feedback 'value' must be 'satisfied' or 'unsatisfied'")


def _slug(frame: dict) -> str:
    slug = _text(frame, "slug")
    if not SLUG.match(slug):
        raise ProtocolError(ErrorCode.BAD_FRAME, "'slug' must be an add-on's slug")
    return slug


def _message(frame: dict) -> Message:
    text = _text(frame, "text").strip()
    if not text:
        raise ProtocolError(ErrorCode.EMPTY_TEXT, "The message is empty.")
    if len(text) > MAX_TEXT_CHARS:
        raise ProtocolError(ErrorCode.TEXT_TOO_LONG, f"Messages are limited to {MAX_TEXT_CHARS} characters.")
    return Message(text=text)


def _tune(frame: dict) -> Tune:
    params = frame.get("params")
    if not isinstance(params, dict):
        raise ProtocolError(ErrorCode.BAD_FRAME, "'params' must be an object")
    return Tune(params=params)


PARSERS = {
    "message": _message,
    "feedback": _feedback,
    "answer": lambda frame: Answer(question_id=_text(frame, "question_id"), option_id=_text(frame, "option")),
    "more": lambda frame: More(),
    "reset": lambda frame: Reset(),
    "tune": _tune,
    "click": lambda frame: Click(slug=_slug(frame)),
}


def parse_client_frame(raw: str | bytes | None):
    """One client frame -> a dialogue event (or Tune); ProtocolError for anything else."""
    if raw is None or len(raw) > MAX_FRAME_BYTES:
        raise ProtocolError(ErrorCode.BAD_FRAME, f"Frames must be JSON text under {MAX_FRAME_BYTES} bytes.")
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError):  # bad syntax or bytes, huge integers, nesting thousands deep
        raise ProtocolError(ErrorCode.BAD_JSON, "The frame is not valid JSON.") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise ProtocolError(ErrorCode.BAD_FRAME, "A frame is a JSON object with a string 'type'.")
    parser = PARSERS.get(frame["type"])
    if parser is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"Unknown frame type {frame['type'][:40]!r}.")
    return parser(frame)


# --- server frames --------------------------------------------------------------------------


def session_frame(session_id: str, *, resumed: bool) -> dict:
    return {"type": "session", "session_id": session_id, "resumed": resumed, "protocol": PROTOCOL_VERSION}


def history_frame(messages: list[dict]) -> dict:
    return {"type": "history", "messages": messages}


def cards_frame(turn: int, cards: list[dict]) -> dict:
    return {"type": "cards", "turn": turn, "cards": cards}


def token_frame(turn: int, text: str) -> dict:
    return {"type": "token", "turn": turn, "text": text}


def reply_frame(turn: int, text: str) -> dict:
    return {"type": "reply", "turn": turn, "text": text}


def question_frame(turn: int, question: dict) -> dict:
    """`question` is the dialogue's Question.payload(): its id, text and quick-reply options."""
    return {
        "type": "question",
        "turn": turn,
        "question_id": question["id"],
        "text": question["text"],
        "options": question["options"],
    }


def done_frame(turn: int) -> dict:
    return {"type": "done", "turn": turn}


def error_frame(code: str, message: str, *, retry_after: float | None = None) -> dict:
    frame: dict[str, object] = {"type": "error", "code": code, "message": message}
    if retry_after is not None:
        frame["retry_after"] = retry_after
    return frame


def busy_frame() -> dict:
    return error_frame(ErrorCode.BUSY, "The assistant is busy right now; retrying in a moment.", retry_after=2.0)
