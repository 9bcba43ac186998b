import asyncio
import time
from contextlib import aclosing

import pytest
from django.core.exceptions import ImproperlyConfigured

from chatbot.llm import runner
from chatbot.llm.base import LLMUnavailable
from chatbot.llm.openai_backend import OpenAIBackend
from chatbot.llm.runner import ReplyEvent, active_model, get_backend, stream_reply
from chatbot.llm.template import TemplateBackend, template_reply
from tests.chatbot.llm.conftest import CATALOGUE, ScriptedBackend


@pytest.fixture(autouse=True)
def free_slots(settings):
    """Slow backends end in their worker thread after the test; the next test starts with every slot free."""
    settings.LLM_TIMEOUT = 5
    yield
    deadline = time.monotonic() + 3
    while (runner._gate.running or runner._gate.waiting) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (runner._gate.running, runner._gate.waiting) == (0, 0)


async def reply(request, params, backend=None) -> tuple[list[str], ReplyEvent]:
    events = [event async for event in stream_reply(request, params, catalogue_names=CATALOGUE, backend=backend)]
    *pieces, final = events
    assert final.final and not any(event.final for event in pieces)
    return [event.text for event in pieces], final


async def test_streams_guarded_sentences_in_order(request_for, params):
    backend = ScriptedBackend(["\n uBlock ", "Origin blocks ads. ", "Dark Reader ", "is a dark ", "mode."])
    pieces, final = await reply(request_for(), params, backend)
    assert pieces == ["uBlock Origin blocks ads. ", "Dark Reader is a dark mode."]
    assert final.full_text == "uBlock Origin blocks ads. Dark Reader is a dark mode."
    assert (final.backend, final.corrected, final.fell_back) == ("scripted", False, False)
    assert 0 <= final.first_token_ms <= final.total_ms


async def test_the_reply_names_the_adapter_that_wrote_it(request_for, params):
    backend = ScriptedBackend(["uBlock Origin blocks ads."])
    backend.adapter = "var/training/run-3/adapter"
    _, final = await reply(request_for(), params, backend)
    assert final.adapter == "var/training/run-3/adapter"
    backend = ScriptedBackend([], error=LLMUnavailable("down"))
    backend.adapter = "var/training/run-3/adapter"
    _, final = await reply(request_for(), params, backend)
    assert final.fell_back and final.adapter == ""  # the template wrote it, not the fine-tuned model


async def test_a_dropped_sentence_is_reported(request_for, params):
    backend = ScriptedBackend(["uBlock Origin blocks ads. ", "Honey is nice too. ", "Enjoy!"])
    pieces, final = await reply(request_for(), params, backend)
    assert final.full_text == "uBlock Origin blocks ads. Enjoy!"
    assert final.corrected and not final.fell_back


async def test_a_failing_backend_falls_back_to_the_template(request_for, params):
    request = request_for()
    pieces, final = await reply(request, params, ScriptedBackend([], error=RuntimeError("model missing")))
    assert "".join(pieces) == final.full_text == template_reply(request)
    assert (final.backend, final.fell_back) == ("template", True)


async def test_a_hallucinating_backend_falls_back_to_the_template(request_for, params):
    request = request_for()
    backend = ScriptedBackend(["Try **SuperTab Booster** extension. ", "AdBlock Plus is best."])
    pieces, final = await reply(request, params, backend)
    assert final.full_text == template_reply(request)
    assert final.fell_back and final.corrected


async def test_a_recommendation_naming_no_card_falls_back(request_for, params):
    request = request_for()
    pieces, final = await reply(request, params, ScriptedBackend(["This adds no value. ", "Happy browsing!"]))
    assert final.full_text == template_reply(request) and final.fell_back


async def test_an_off_topic_reply_stops_generating(request_for, params):
    backend = ScriptedBackend(["Hmm. ", "Well. ", *["Blah. "] * 20], delay=0.05)
    started = time.perf_counter()
    _, final = await reply(request_for(), params, backend)
    assert final.fell_back and time.perf_counter() - started < 0.5


async def test_generation_stops_after_the_sentences_a_reply_needs(request_for, params):
    sentences = ["uBlock Origin blocks ads. ", "Dark Reader is a dark mode. ", "YouTube NonStop is for the prompt. "]
    backend = ScriptedBackend([*sentences, *["It also blocks ads. "] * 20], delay=0.05)
    started = time.perf_counter()
    _, final = await reply(request_for(), params, backend)
    assert final.full_text == "".join(sentences).strip() and not final.fell_back
    assert time.perf_counter() - started < 0.5


async def test_the_template_writes_the_kinds_the_model_is_not_trusted_with(settings, request_for, params):
    settings.LLM_REPLY_KINDS = ["recommend", "more"]
    backend = ScriptedBackend(["Sending an email is not allowed."])
    _, final = await reply(request_for("thanks"), params, backend)
    assert final.backend == "template" and final.full_text == template_reply(request_for("thanks"))
    _, final = await reply(request_for("recommend"), params, ScriptedBackend(["uBlock Origin blocks ads."]))
    assert final.backend == "scripted"


async def test_a_lead_in_needs_no_card_name(settings, request_for, params):
    settings.LLM_REPLY_KINDS = ["recommend", "more", "question"]
    request = request_for("question", question="Which site?")
    pieces, final = await reply(request, params, ScriptedBackend(["One quick question so I can find the right one."]))
    assert final.full_text == "One quick question so I can find the right one." and not final.fell_back


async def test_failure_after_safe_text_keeps_it(request_for, params):
    backend = ScriptedBackend(["uBlock Origin blocks ads. ", "Also"], error=LLMUnavailable("connection reset"))
    pieces, final = await reply(request_for(), params, backend)
    assert final.full_text == "uBlock Origin blocks ads."
    assert final.corrected and not final.fell_back


async def test_a_slow_backend_times_out_into_the_template(settings, request_for, params):
    settings.LLM_TIMEOUT = 0.1
    started = time.perf_counter()
    pieces, final = await reply(request_for(), params, ScriptedBackend(["uBlock Origin blocks ads."], delay=0.5))
    assert final.fell_back and time.perf_counter() - started < 0.4


async def test_a_full_queue_uses_the_template_at_once(settings, request_for, params):
    settings.LLM_MAX_CONCURRENT, settings.LLM_MAX_QUEUE = 1, 0
    slow = ScriptedBackend(["uBlock Origin blocks ads. "] * 50, delay=0.05)
    async with aclosing(stream_reply(request_for(), params, catalogue_names=CATALOGUE, backend=slow)) as first:
        assert (await anext(first)).text  # the slot is taken
        started = time.perf_counter()
        pieces, final = await reply(request_for(), params, ScriptedBackend(["Dark Reader is a dark mode."]))
        assert final.fell_back and time.perf_counter() - started < 0.2
    for _ in range(100):  # closing the first reply stops its generation after the piece in progress
        if not runner._gate.running:
            break
        await asyncio.sleep(0.01)
    pieces, final = await reply(request_for(), params, ScriptedBackend(["Dark Reader is a dark mode."]))
    assert not final.fell_back


async def test_a_queued_reply_waits_for_the_slot(settings, request_for, params):
    settings.LLM_MAX_CONCURRENT, settings.LLM_MAX_QUEUE = 1, 1
    first = reply(request_for(), params, ScriptedBackend(["uBlock Origin blocks ads."] * 3, delay=0.05))
    second = reply(request_for(), params, ScriptedBackend(["Dark Reader is a dark mode."]))
    (_, one), (_, two) = await asyncio.gather(first, second)
    assert not one.fell_back and not two.fell_back
    assert two.total_ms >= 100


async def test_the_event_loop_keeps_running_while_a_backend_generates(request_for, params):
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    _, final = await reply(
        request_for(), params, ScriptedBackend(["uBlock Origin", " blocks", " ads", " on", " youtube."], delay=0.1)
    )
    task.cancel()
    assert not final.fell_back and ticks >= 20


async def test_stream_reply_uses_the_configured_backend(settings, request_for, params):
    settings.LLM_BACKEND = "template"
    _, final = await reply(request_for("recommend"), params)
    assert final.backend == "template" and not final.fell_back


def test_get_backend_by_setting(settings):
    settings.LLM_BACKEND = "template"
    assert isinstance(get_backend(), TemplateBackend)
    settings.LLM_BACKEND, settings.LLM_OPENAI_URL = "openai", "http://vllm:8000/v1"
    backend = get_backend()
    assert isinstance(backend, OpenAIBackend) and backend.endpoint == "http://vllm:8000/v1/chat/completions"


@pytest.mark.parametrize("choice, url", [("gpt", ""), ("openai", "")])
def test_get_backend_rejects_bad_settings(settings, choice, url):
    settings.LLM_BACKEND, settings.LLM_OPENAI_URL = choice, url
    with pytest.raises(ImproperlyConfigured, match="LLM_"):
        get_backend()


def test_get_backend_loads_the_active_model_lazily(settings):
    from chatbot.llm.transformers_backend import TransformersBackend, load_backend

    settings.LLM_BACKEND, settings.LLM_MODEL, settings.LLM_ADAPTER = "transformers", "/models/v7", "/adapters/v7"
    assert active_model() == ("/models/v7", "/adapters/v7")
    backend = get_backend()
    assert isinstance(backend, TransformersBackend) and (backend.model, backend.adapter) == active_model()
    assert get_backend() is backend  # cached per version; nothing is loaded until the first reply
    settings.LLM_ADAPTER = "/adapters/v8"
    assert get_backend() is not backend
    load_backend.cache_clear()


class LazyBackend(ScriptedBackend):
    def __init__(self) -> None:
        super().__init__(["ok"])
        self.loads = 0

    def loaded(self):
        self.loads += 1


def test_backend_warm_loads_the_model_now(monkeypatch):
    backend = LazyBackend()
    monkeypatch.setattr(runner, "get_backend", lambda: backend)
    assert runner.backend_warm() == "scripted" and backend.loads == 1
    monkeypatch.setattr(runner, "get_backend", TemplateBackend)
    assert runner.backend_warm() == "template"


def test_prepare_model_command_reports_the_backend_it_loaded(settings):
    from io import StringIO

    from django.core.management import call_command

    settings.LLM_BACKEND = "template"
    out = StringIO()
    call_command("prepare_model", stdout=out)
    assert out.getvalue().strip() == "reply model ready: template"


async def test_an_abandoned_generation_ends_and_the_process_can_tell(request_for, params):
    slow = ScriptedBackend(["uBlock Origin blocks ads. "] * 50, delay=0.05)
    async with aclosing(stream_reply(request_for(), params, catalogue_names=CATALOGUE, backend=slow)) as reply:
        await anext(reply)
        assert not runner.generations_idle(timeout=0.01)  # still writing
    assert await asyncio.to_thread(runner.generations_idle, 5)


class GroundedScript(ScriptedBackend):
    """A backend whose decoding grounds its words (as the constrained transformers backend does)."""

    def grounds(self, request) -> bool:
        return True


async def test_a_grounded_reply_streams_each_piece_as_it_is_generated(request_for, params):
    backend = GroundedScript(["uBlock", " Origin", " blocks", " ads."], delay=0.2)
    started, arrivals = time.perf_counter(), []
    async for event in stream_reply(request_for(), params, catalogue_names=CATALOGUE, backend=backend):
        arrivals.append((time.perf_counter() - started, event))
    pieces = [event.text for _, event in arrivals if not event.final]
    assert pieces == ["uBlock", " Origin", " blocks", " ads."]
    assert arrivals[0][0] < 0.35 and arrivals[-1][0] > 0.75  # the first piece, long before the last
    assert arrivals[-1][1].full_text == "uBlock Origin blocks ads." and not arrivals[-1][1].corrected


async def test_a_streamed_sentence_the_guard_drops_is_left_out_of_the_stored_reply(request_for, params):
    backend = GroundedScript(["uBlock Origin blocks ads. ", "Dark Reader uses SSL encryption."])
    pieces, final = await reply(request_for(), params, backend)
    assert "".join(pieces) == "uBlock Origin blocks ads. Dark Reader uses SSL encryption."
    assert final.full_text == "uBlock Origin blocks ads." and final.corrected and not final.fell_back
