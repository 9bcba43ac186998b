"""Whatever a client sends, the frame parser answers with an event that can be stored or a ProtocolError,
never anything else (bench/fuzz.py sends 10,000 generated frames through a live server; its test, a few
hundred)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from chatbot.protocol import PARSERS, ProtocolError, parse_client_frame

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
frames = st.fixed_dictionaries(
    {"type": st.sampled_from([*PARSERS, "", "other"])},
    optional=dict.fromkeys(["text", "value", "slug", "question_id", "option", "params"], values),
)


def parses_or_refuses(raw: str | bytes) -> None:
    try:
        event = parse_client_frame(raw)
    except ProtocolError as error:
        assert error.code and error.message
        return
    for text in (value for value in vars(event).values() if isinstance(value, str)):
        assert "\x00" not in text and text.encode("utf-8")  # what parses can be stored, on any database


@settings(max_examples=600, deadline=None)
@given(frames)
def test_any_frame_object_parses_or_is_refused_with_a_code(frame):
    parses_or_refuses(json.dumps(frame))
    parses_or_refuses(json.dumps(frame, ensure_ascii=False).encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.binary(max_size=300) | values.map(json.dumps))
def test_any_text_or_bytes_parses_or_is_refused_with_a_code(raw):
    parses_or_refuses(raw)
