"""A real QLoRA run of a few steps on SmolLM2 on the CPU, then promote and rollback through the chat's backend."""
from __future__ import annotations

import pytest
import torch
from peft import PeftModel

from chatbot.llm import runner
from chatbot.llm.transformers_backend import load_backend, load_model
from chatbot.models import ModelVersion, TrainingRun
from chatbot.training import services

TINY_RUN = {"max_steps": 6, "batch_size": 2, "grad_accumulation": 1, "max_seq_length": 256, "learning_rate": 3e-3,
            "warmup_steps": 1, "eval_examples": 6, "grounded_samples": 2, "validation_fraction": 0.3, "seed": 5}


@pytest.mark.slow
def test_a_qlora_run_trains_saves_and_serves_after_promotion(catalogue, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as enqueued:
        run = services.training_run_start(overrides=TINY_RUN)
    assert len(enqueued) == 1 and run.status == TrainingRun.Status.PENDING
    assert run.config["load_in_4bit"] is True and run.config["target_modules"] == ["q_proj", "k_proj", "v_proj",
                                                                                     "o_proj"]

    run = services.training_run_execute(run_id=run.pk)

    assert run.status == TrainingRun.Status.SUCCEEDED, run.log
    assert run.counts["train"] > 0 and run.counts["validation"] > 0
    assert (run.step, run.total_steps) == (6, 6) and [step for step, _ in run.loss_history] == [1, 2, 3, 4, 5, 6]
    before, after = run.metrics["before"], run.metrics["after"]
    assert after["validation_loss"] < before["validation_loss"]  # it learned the answers' shape
    assert after["perplexity"] < before["perplexity"]
    assert before["grounded"]["samples"] == after["grounded"]["samples"] == 2
    assert run.metrics["training"]["samples_per_second"] > 0
    version = run.model_version
    assert version.status == ModelVersion.Status.READY and version.number == 1
    assert version.training_config == run.config and version.metrics == run.metrics
    adapter = settings.TRAINING_DIR / f"run-{run.pk}" / "adapter"
    assert version.adapter_path == str(adapter)
    assert (adapter / "adapter_config.json").is_file() and (adapter / "adapter_model.safetensors").is_file()
    assert (adapter / "tokenizer_config.json").is_file()
    assert (settings.TRAINING_DIR / f"run-{run.pk}" / "dataset" / "train.jsonl").is_file()

    # Promote: the chat's next reply is written by base + adapter, without a restart.
    settings.LLM_BACKEND, settings.LLM_ADAPTER, settings.LLM_LOAD_IN_4BIT = "transformers", "", False
    assert runner.active_model() == (settings.LLM_MODEL, "")
    base_backend = runner.get_backend()
    services.model_version_promote(version_id=version.pk)
    assert runner.active_model() == ("", str(adapter))
    backend = runner.get_backend()
    assert backend is not base_backend and backend.adapter == str(adapter)
    model, tokenizer = backend.loaded()
    assert isinstance(model, PeftModel)
    base_model, _ = load_model("", "", False, "cpu")
    prompt = tokenizer("I need: dark pages at night", return_tensors="pt")
    with torch.no_grad():
        assert not torch.allclose(model(**prompt).logits, base_model(**prompt).logits, atol=1e-4)
    assert "".join(backend.stream(_request(), _params())).strip()

    # Roll back: the base model serves again.
    assert services.model_version_rollback() is None
    assert runner.active_model() == (settings.LLM_MODEL, "") and runner.get_backend() is base_backend
    load_backend.cache_clear()


def _request():
    from chatbot.llm.base import CardFact, ReplyRequest

    card = CardFact(slug="night-shade", name="Night Shade", summary="Dark mode for every website.",
                    categories=("Appearance",), rating=4.2, users=1234, reason="")
    return ReplyRequest(kind="recommend", need="dark pages at night", cards=(card,))


def _params():
    from chatbot.llm.base import GenerationParams

    return GenerationParams(temperature=0.0, top_k=40, top_p=0.9, repetition_penalty=1.1, max_new_tokens=16)
