"""How good a model is at this job: validation loss and perplexity on held-out answers, and whether,
given the cards for a held-out need, its answer names the right add-on (greedy, as a visitor would
get at temperature 0)."""

from __future__ import annotations

import math
import random

import torch
from transformers import PreTrainedTokenizerBase

from chatbot.llm.transformers_backend import until_stop
from training.config import TrainingConfig
from training.trainer import encode, mean_loss, padding_id

ANSWER_TOKENS = 32  # the first sentence, which is where an answer names its add-on
KEPT_ANSWERS = 5  # shown in admin next to the rate


def held_out(rows: list[dict], count: int, seed: int) -> list[dict]:
    """A stable sample of validation rows."""
    if len(rows) <= count:
        return list(rows)
    return random.Random(seed).sample(rows, count)


@torch.no_grad()
def answer(model, tokenizer: PreTrainedTokenizerBase, prompt: str, device: str) -> str:
    inputs = tokenizer(prompt, add_special_tokens=False, return_tensors="pt").to(device)
    # use_cache: training set it off for gradient checkpointing; without it every token re-reads the prompt.
    output = model.generate(
        **inputs, max_new_tokens=ANSWER_TOKENS, do_sample=False, use_cache=True, pad_token_id=padding_id(tokenizer)
    )
    text = tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=False)
    return "".join(until_stop([text])).strip()


def grounded_check(model, tokenizer: PreTrainedTokenizerBase, rows: list[dict], device: str) -> dict:
    """Share of held-out needs whose answer names the add-on the need was written from."""
    model.eval()
    answers = []
    for row in rows:
        text = answer(model, tokenizer, row["prompt"], device)
        answers.append(
            {
                "need": row["need"],
                "expected": row["answer_name"],
                "answer": text,
                "named": row["answer_name"].casefold() in text.casefold(),
            }
        )
    named = sum(item["named"] for item in answers)
    return {
        "samples": len(answers),
        "named_right": named,
        "rate": named / len(answers) if answers else None,
        "answers": answers[:KEPT_ANSWERS],
    }


def evaluate(model, tokenizer: PreTrainedTokenizerBase, validation: list[dict], config: TrainingConfig) -> dict:
    """Validation loss, perplexity and the grounded-answer check, as stored on the run and the version."""
    rows = held_out(validation, config.eval_examples, config.seed)
    items = encode(rows, tokenizer, config.max_seq_length)
    loss = mean_loss(model, items, pad_id=padding_id(tokenizer), batch_size=config.batch_size, device=config.device)
    needs = [row for row in validation if row["source"] == "need" and row["answer_name"]]
    grounded = grounded_check(model, tokenizer, held_out(needs, config.grounded_samples, config.seed), config.device)
    known = math.isfinite(loss)  # no validation example fits: nothing to report, rather than NaN in JSON
    return {
        "validation_loss": loss if known else None,
        "perplexity": math.exp(loss) if known else None,
        "validation_examples": len(items),
        "grounded": grounded,
    }
