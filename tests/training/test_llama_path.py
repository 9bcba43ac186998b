"""The GPU profile's code path, on the CPU: a Llama-architecture base named by LLM_MODEL (a tiny randomly
initialised one saved to disk, so nothing downloads) loaded in 4-bit NF4 through bitsandbytes, LoRA on every
projection, trained, saved, and loaded back with its adapter to answer."""

from __future__ import annotations

import math

import bitsandbytes as bnb
import pytest
import torch

from chatbot.llm.transformers_backend import load_model
from tests.training.conftest import random_llama
from training import trainer
from training.config import TrainingConfig

ROWS = [
    ("pages are too bright at night", "Night Shade offers dark mode for every website."),
    ("save my tabs", "Tab Keeper saves open tabs as sessions."),
    ("block ads on videos", "Ad Sweeper blocks ads, pop ups and trackers on video sites."),
    ("store my passwords", "Pass Vault stores passwords securely."),
]


@pytest.fixture
def tiny_llama(tmp_path, settings):
    tokenizer = trainer.load_tokenizer("")  # SmolLM2's: a Llama-family tokenizer with a chat template
    model = random_llama(len(tokenizer), hidden=64, layers=2, heads=4)
    folder = tmp_path / "tiny-llama"
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    settings.LLM_MODEL, settings.LLM_DEVICE = str(folder), "cpu"
    return folder


def rows(tokenizer) -> list[dict]:
    result = []
    for need, answer in ROWS:
        prompt = tokenizer.apply_chat_template(
            [{"role": "user", "content": need}], add_generation_prompt=True, tokenize=False
        )
        result.append({"prompt": prompt, "completion": answer + tokenizer.eos_token})
    return result


def test_a_llama_named_by_llm_model_trains_in_4bit_and_serves_its_adapter(tiny_llama, tmp_path):
    config = TrainingConfig.from_settings(
        profile="gpu", max_steps=4, batch_size=2, max_seq_length=128, warmup_steps=0, learning_rate=1e-2
    )
    assert config.base_model == str(tiny_llama) and config.load_in_4bit  # the GPU profile: QLoRA

    model, tokenizer = trainer.load_for_training(config)
    quantised = [module for module in model.modules() if isinstance(module, bnb.nn.Linear4bit)]
    assert quantised and all(module.weight.quant_type == "nf4" for module in quantised)
    adapted = {name.split(".lora_B")[0].rsplit(".", 1)[-1] for name, _ in model.named_parameters() if ".lora_B" in name}
    assert adapted == set(config.target_modules)  # every projection, attention and MLP
    items = trainer.encode(rows(tokenizer), tokenizer, config.max_seq_length)
    result = trainer.train(model, items, config=config, pad_id=trainer.padding_id(tokenizer), on_step=lambda _: True)
    assert result.steps == 4 and math.isfinite(result.last_loss)
    trained = [parameter for name, parameter in model.named_parameters() if "lora_B" in name]
    assert any(parameter.abs().sum() > 0 for parameter in trained)  # B starts at zero: the adapter learned

    adapter = trainer.save_adapter(model, tokenizer, tmp_path / "adapter")
    served, served_tokenizer = load_model(str(tiny_llama), str(adapter), True, "cpu")
    prompt = rows(served_tokenizer)[0]["prompt"]
    inputs = served_tokenizer(prompt, add_special_tokens=False, return_tensors="pt")
    output = served.generate(**inputs, max_new_tokens=4, do_sample=False)
    assert output.shape[1] > inputs["input_ids"].shape[1]


def lora_gradients(model, batch) -> dict[str, torch.Tensor]:
    model.train()
    model.zero_grad()
    model(**batch).loss.backward()
    return {name: parameter.grad.clone() for name, parameter in model.named_parameters() if parameter.grad is not None}


def test_4bit_training_after_an_evaluation_pass_gets_the_same_gradients(tiny_llama):
    """bitsandbytes repacks 4-bit weights for a backward-less inference kernel on its first eval pass on CPUs with
    AVX512-BF16; the "evaluate before" phase made every later step's gradients wrong there, and the run diverged."""
    config = TrainingConfig.from_settings(profile="gpu", max_seq_length=128, lora_dropout=0.0)
    model, tokenizer = trainer.load_for_training(config)
    items = trainer.encode(rows(tokenizer), tokenizer, config.max_seq_length)
    batch = trainer.collate(items, trainer.padding_id(tokenizer), "cpu")
    before = lora_gradients(model, batch)

    model.eval()
    with torch.no_grad():
        model(**batch)  # what the evaluation phase does first
    after = lora_gradients(model, batch)

    assert before and before.keys() == after.keys()
    for name, gradient in before.items():
        assert torch.allclose(after[name], gradient, rtol=1e-4, atol=1e-7), name
