"""Promote the adapter the real QLoRA run saved: the chat's next reply is written by base + adapter."""

from __future__ import annotations

import pytest
import torch
from peft import PeftModel

from chatbot.llm import runner
from chatbot.llm.base import CardFact, GenerationParams, ReplyRequest
from chatbot.llm.transformers_backend import load_backend
from training import services
from training.models import ModelVersion

pytestmark = pytest.mark.slow
CARD = CardFact(
    slug="night-shade",
    name="Night Shade",
    summary="Dark mode for every website.",
    categories=("Appearance",),
    rating=4.2,
    users=1234,
    reason="",
)


async def test_after_promotion_the_chat_replies_with_the_adapter(trained_project, transactional_db, settings):
    settings.LLM_BACKEND, settings.LLM_MODEL, settings.LLM_ADAPTER, settings.LLM_LOAD_IN_4BIT = (
        "transformers",
        "",
        "",
        False,
    )
    adapter = trained_project.var_dir / "training" / "run-1" / "adapter"
    version = await ModelVersion.objects.acreate(number=1, adapter_path=str(adapter))
    base_backend = await _backend()
    assert base_backend.adapter == ""

    await _sync(services.model_version_promote)(version_id=version.pk)
    backend = await _backend()
    assert backend is not base_backend and backend.adapter == str(adapter)
    model, tokenizer = await _sync(backend.loaded)()
    base_model, _ = await _sync(base_backend.loaded)()
    assert isinstance(model, PeftModel)
    prompt = tokenizer("I need: dark pages at night", return_tensors="pt")
    with torch.no_grad():
        assert not torch.allclose(model(**prompt).logits, base_model(**prompt).logits, atol=1e-4)

    request = ReplyRequest(kind="recommend", need="dark pages at night", cards=(CARD,))
    params = GenerationParams(temperature=0.0, top_k=40, top_p=0.9, repetition_penalty=1.1, max_new_tokens=16)
    events = [event async for event in runner.stream_reply(request, params, catalogue_names=["Night Shade"])]
    assert events[-1].final and events[-1].backend == "transformers" and events[-1].full_text
    assert events[-1].fell_back or events[-1].adapter == str(adapter)  # stored on the Message by the turn

    assert await _sync(services.model_version_rollback)() is None
    assert await _backend() is base_backend  # the base model serves again, still loaded
    load_backend.cache_clear()


def _sync(function):
    from asgiref.sync import sync_to_async

    return sync_to_async(function)


async def _backend():
    return await _sync(runner.get_backend)()
