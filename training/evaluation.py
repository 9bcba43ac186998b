"""How good a model is at this job, scored as the chat would judge its replies.

On held-out needs (validation rows written from add-ons the model never trained on) the model answers
greedily, in batches, with a short token budget; each answer is scored on whether it names the add-on the
need was written from, how many of its sentences the chat's claim verifier supports, how many add-on names
the chat's name guard would reject (invented add-ons), and its length. Validation loss and perplexity come
from a fixed sample of validation answers. Bounded time: a fixed sample size, one pass per batch.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Collection

import torch
from transformers import PreTrainedTokenizerBase

from chatbot.llm.guard import SENTENCE_END, ReplyGuard
from chatbot.llm.transformers_backend import until_stop
from chatbot.llm.verifier import Facts, unsupported
from training.config import TrainingConfig
from training.dataset import row_cards
from training.trainer import encode, mean_loss, padding_id

ANSWER_TOKENS = 64  # two or three short sentences: enough to name an add-on and say what it does
GENERATION_BATCH = 8
KEPT_ANSWERS = 5  # sample answers shown in admin next to the figures
KEPT_SLIPS = 8  # unsupported sentences (and answers naming other add-ons) kept: where the model strays

Progress = Callable[[int, int], None]  # (done, total)


def held_out(rows: list[dict], count: int, seed: int) -> list[dict]:
    """A stable sample of validation rows."""
    if len(rows) <= count:
        return list(rows)
    return random.Random(seed).sample(rows, count)


def held_out_needs(validation: list[dict], count: int, seed: int) -> list[dict]:
    """Visitor needs from the held-out add-ons, each with the add-on it was written from."""
    return held_out([row for row in validation if row["source"] == "need" and row["answer_name"]], count, seed)


@torch.no_grad()
def answers(model, tokenizer: PreTrainedTokenizerBase, prompts: list[str], device: str) -> list[str]:
    """Greedy answers, as a visitor gets them at temperature 0, a batch at a time (left-padded)."""
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token_id = padding_id(tokenizer)
    inputs = tokenizer(prompts, add_special_tokens=False, return_tensors="pt", padding=True).to(device)
    # use_cache: training turns it off for gradient checkpointing; without it every token re-reads the prompt.
    output = model.generate(
        **inputs,
        max_new_tokens=ANSWER_TOKENS,
        do_sample=False,
        use_cache=True,
        pad_token_id=tokenizer.pad_token_id,
    )
    texts = tokenizer.batch_decode(output[:, inputs["input_ids"].shape[1] :], skip_special_tokens=False)
    return ["".join(until_stop([text])).strip() for text in texts]


def sentences(answer: str) -> list[str]:
    """The answer's complete sentences; a sentence cut off by the token budget is left out, as the chat
    drops an unfinished one. An answer without a full stop counts as one sentence."""
    parts = [part.strip() for part in SENTENCE_END.split(answer + " ") if part.strip()]
    if len(parts) > 1 and not answer.rstrip().endswith((".", "!", "?")):
        parts = parts[:-1]
    return parts


def score(row: dict, answer: str, catalogue_names: Collection[str]) -> dict:
    cards = row_cards(row)
    facts = Facts.of(cards, row["need"])
    said = sentences(answer)
    slips = [[sentence, words] for sentence in said if (words := unsupported(sentence, facts))]
    return {
        "need": row["need"],
        "expected": row["answer_name"],
        "answer": answer,
        "named": row["answer_name"].casefold() in answer.casefold(),
        "sentences": len(said),
        "supported": len(said) - len(slips),
        "slips": slips,
        "invented": ReplyGuard(cards, catalogue_names, need=row["need"]).violations(answer),
        "words": len(answer.split()),
    }


def grounded_check(
    model,
    tokenizer: PreTrainedTokenizerBase,
    rows: list[dict],
    device: str,
    catalogue_names: Collection[str],
    on_progress: Progress | None = None,
) -> dict:
    """The figures over held-out needs, and a few sample answers."""
    model.eval()
    scored: list[dict] = []
    for start in range(0, len(rows), GENERATION_BATCH):
        batch = rows[start : start + GENERATION_BATCH]
        texts = answers(model, tokenizer, [row["prompt"] for row in batch], device)
        scored += [score(row, text, catalogue_names) for row, text in zip(batch, texts, strict=True)]
        if on_progress:
            on_progress(len(scored), len(rows))
    count = len(scored)
    total_sentences = sum(item["sentences"] for item in scored)
    named = sum(item["named"] for item in scored)
    supported = sum(item["supported"] for item in scored)
    return {
        "samples": count,
        "named_right": named,
        "rate": named / count if count else None,
        "sentences": total_sentences,
        "supported_sentences": supported,
        "supported_rate": supported / total_sentences if total_sentences else None,
        "invented": sum(len(item["invented"]) for item in scored),
        "invented_names": sorted({name for item in scored for name in item["invented"]}),
        "mean_words": sum(item["words"] for item in scored) / count if count else None,
        "answers": scored[:KEPT_ANSWERS],
        "slips": [slip for item in scored for slip in item["slips"]][:KEPT_SLIPS],
        "inventions": [[item["answer"], item["invented"]] for item in scored if item["invented"]][:KEPT_SLIPS],
    }


def evaluate(
    model,
    tokenizer: PreTrainedTokenizerBase,
    validation: list[dict],
    config: TrainingConfig,
    catalogue_names: Collection[str],
    on_progress: Progress | None = None,
) -> dict:
    """Validation loss, perplexity and the held-out answer figures, as stored on the run and the version."""
    rows = held_out(validation, config.eval_examples, config.seed)
    items = encode(rows, tokenizer, config.max_seq_length)
    loss = mean_loss(model, items, pad_id=padding_id(tokenizer), batch_size=config.batch_size, device=config.device)
    needs = held_out_needs(validation, config.grounded_samples, config.seed)
    grounded = grounded_check(model, tokenizer, needs, config.device, catalogue_names, on_progress)
    known = math.isfinite(loss)  # no validation example fits: nothing to report, rather than NaN in JSON
    return {
        "validation_loss": loss if known else None,
        "perplexity": math.exp(loss) if known else None,
        "validation_examples": len(items),
        "grounded": grounded,
    }
