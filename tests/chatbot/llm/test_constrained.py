"""Grounded decoding: whatever tokens the model picks among those allowed, every sentence opens with its
card's name and passes the claim verifier for that card, so tokens can stream as they are generated."""

from __future__ import annotations

import random
import re

import pytest
import torch

from chatbot.llm.base import ReplyRequest
from chatbot.llm.constrained import MIN_WORDS, GroundedReply
from chatbot.llm.verifier import Facts, unsupported
from training.trainer import load_tokenizer


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("")  # the packaged SmolLM2's (converted once, like the serving model)


@pytest.fixture
def start(tokenizer, cards):
    """A grounded reply about the cards, and the prompt it continues."""
    request = ReplyRequest(kind="recommend", need="block ads on youtube", cards=cards, said="I hate ads")
    prompt = tokenizer.encode("<|im_start|>assistant\n", add_special_tokens=False)
    return GroundedReply.for_request(tokenizer, request, prompt_length=len(prompt), budget=400), prompt, request


def walk(tokenizer, grounded: GroundedReply, prompt: list[int], seed: int, steps: int = 400) -> str:
    """A stand-in for the model: at every step, any token the constraint allows, chosen at random."""
    rng = random.Random(seed)
    ids = list(prompt)
    for _ in range(steps):
        token = rng.choice(grounded(0, torch.tensor(ids)))
        if token == tokenizer.eos_token_id:
            return tokenizer.decode(ids[len(prompt) :])
        ids.append(token)
    raise AssertionError("the reply never ended")


def allowed_until(tokenizer, grounded: GroundedReply, prompt: list[int], text: str) -> str:
    """The part of `text` the constraint lets the model write, token by token."""
    ids = list(prompt)
    for token in tokenizer.encode(text, add_special_tokens=False):
        if token not in grounded(0, torch.tensor(ids)):
            break
        ids.append(token)
    return tokenizer.decode(ids[len(prompt) :])


@pytest.mark.parametrize("seed", range(6))
def test_any_walk_through_the_allowed_tokens_is_grounded(tokenizer, start, cards, seed):
    grounded, prompt, request = start
    sentences = [sentence for sentence in re.split(r"(?<=\.)\s+", walk(tokenizer, grounded, prompt, seed)) if sentence]
    assert len(sentences) == len(cards)  # one per card, then the end
    for sentence, card in zip(sentences, cards, strict=True):
        assert sentence.startswith(card.name)
        said = sentence.removeprefix(card.name)
        assert unsupported(said, Facts.of([card], f"{request.need} {request.said}")) == [], sentence
        assert len(said.split()) >= MIN_WORDS


def test_a_grounded_reply_may_be_written_and_an_invented_feature_may_not(tokenizer, start):
    grounded, prompt, _ = start
    reply = "uBlock Origin is an efficient content blocker for youtube. Dark Reader is a dark mode for every website."
    assert allowed_until(tokenizer, grounded, prompt, reply) == reply
    grounded.rows.clear()
    invented = "uBlock Origin uses a secure method called SSL encryption."
    assert allowed_until(tokenizer, grounded, prompt, invented) == "uBlock Origin"


def test_each_sentence_is_held_to_its_own_cards_words(tokenizer, start):
    grounded, prompt, _ = start
    borrowed = "uBlock Origin is an efficient blocker. Dark Reader is an efficient content blocker."
    assert (
        allowed_until(tokenizer, grounded, prompt, borrowed)
        == "uBlock Origin is an efficient blocker. Dark Reader is an"
    )
    grounded.rows.clear()
    assert allowed_until(tokenizer, grounded, prompt, "uBlock Origin is. Dark") == "uBlock Origin is"  # too short


def test_a_word_is_not_written_twice_in_a_row_nor_a_third_time(tokenizer, start):
    grounded, prompt, _ = start
    assert allowed_until(tokenizer, grounded, prompt, "uBlock Origin blocks blocks") == "uBlock Origin blocks"
    grounded.rows.clear()
    looping = "uBlock Origin blocks ads, blocks ads, blocks ads"
    assert allowed_until(tokenizer, grounded, prompt, looping) == "uBlock Origin blocks ads, blocks ads,"


def test_the_reply_ends_cleanly_within_its_token_budget(tokenizer, cards):
    request = ReplyRequest(kind="recommend", need="block ads", cards=cards)
    prompt = tokenizer.encode("<|im_start|>assistant\n", add_special_tokens=False)
    for seed in range(4):
        grounded = GroundedReply.for_request(tokenizer, request, prompt_length=len(prompt), budget=24)
        text = walk(tokenizer, grounded, prompt, seed)
        assert text.endswith(".") and len(tokenizer.encode(text, add_special_tokens=False)) <= 24
