"""The model's query rewrite: bounded in time, sharing the generation slots, and optional."""

import time

import pytest

from chatbot.llm import rewriter, runner
from chatbot.llm.base import LLMUnavailable, ReplyRequest
from chatbot.llm.prompts import build_messages
from chatbot.llm.rewriter import llm_rewrite, query_rewriter
from chatbot.llm.runner import complete
from tests.chatbot.llm.conftest import ScriptedBackend

REQUEST = ReplyRequest(kind="rewrite", need="dark mode for youtube", cards=(), message="what about reddit?")


@pytest.fixture(autouse=True)
def free_slots():
    yield
    deadline = time.monotonic() + 3
    while (runner._gate.running or runner._gate.waiting) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (runner._gate.running, runner._gate.waiting) == (0, 0)


def test_complete_returns_the_whole_text(params):
    assert complete(REQUEST, params, timeout=5, backend=ScriptedBackend(["dark mode ", "for reddit"])) == (
        "dark mode for reddit"
    )


def test_complete_gives_up_on_a_slow_or_failing_backend(params):
    started = time.perf_counter()
    assert complete(REQUEST, params, timeout=0.2, backend=ScriptedBackend(["a", "b", "c"], delay=0.3)) is None
    assert time.perf_counter() - started < 1
    assert complete(REQUEST, params, timeout=5, backend=ScriptedBackend(["a"], error=LLMUnavailable("down"))) is None


def test_complete_is_refused_when_every_slot_is_taken(settings, params):
    settings.LLM_MAX_CONCURRENT, settings.LLM_MAX_QUEUE = 1, 0
    runner._gate.admit()  # one generation already waiting for the only slot
    try:
        assert complete(REQUEST, params, timeout=5, backend=ScriptedBackend(["dark mode"])) is None
    finally:
        runner._gate.waiting -= 1


def test_the_rewrite_prompt_shows_worked_examples_then_the_search_and_the_message():
    messages = build_messages(REQUEST)
    assert messages[0]["role"] == "system" and "query only" in messages[0]["content"]
    assert [message["role"] for message in messages[1:-1]] == ["user", "assistant"] * 3
    assert messages[-1] == {
        "role": "user",
        "content": "Search so far: dark mode for youtube\nLatest message: what about reddit?",
    }


def test_llm_rewrite_keeps_the_first_line_of_the_models_answer(settings, monkeypatch):
    settings.LLM_BACKEND = "transformers"
    monkeypatch.setattr(runner, "get_backend", lambda: ScriptedBackend(['"dark mode for reddit"', "\nExplanation"]))
    assert llm_rewrite("dark mode for youtube", "what about reddit?") == "dark mode for reddit"
    monkeypatch.setattr(runner, "get_backend", lambda: ScriptedBackend(["  \n"]))
    assert llm_rewrite("dark mode for youtube", "what about reddit?") is None


def test_there_is_no_model_rewriter_with_the_template_backend_or_when_switched_off(settings):
    settings.LLM_BACKEND, settings.LLM_REWRITE = "transformers", True
    assert query_rewriter() is rewriter.llm_rewrite
    settings.LLM_REWRITE = False
    assert query_rewriter() is None
    settings.LLM_BACKEND, settings.LLM_REWRITE = "template", True
    assert query_rewriter() is None
