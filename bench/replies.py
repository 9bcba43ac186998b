"""Replies as visitors read them, on the dev needs: the share of reply sentences claiming what neither the
cards nor the visitor said, the share of replies showing ranking internals, the share of recommendations
the model wrote (not the template), and how soon the first words came, against the prompt's prefill.

Every dev need is asked (the single-turn queries, and each recommendation of the hand-written dialogues
played by the simulated visitor); the shipped policy picks the cards and the runner writes the reply with
the packaged model, twice in one run: `grounded` (shipped: grounded decoding, tokens stream as written)
and `free` as the baseline (the model writes freely, each sentence waits for the guard, claims included).
Unsupported sentences are counted on what the model wrote and on what reached the visitor, against the
union of the cards' facts and the visitor's words (chatbot.llm.verifier).

Usage: python bench/replies.py --catalog ../shared/datasets/amo-catalog.json
                               --queries ../shared/datasets/dev-queries.json [--modes grounded,free]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import time
from pathlib import Path

from common import SHARED, import_catalog, percentiles, scratch_django
from simulator import play

INTERNALS = re.compile(r"\bmatched\b|\b(?:tags|description|name|works on|score)\s*:|\"[^\"]+\",", re.IGNORECASE)
SENTENCE = re.compile(r"(?<=[.!?…])\s+")


def requests_for(dev: dict) -> list[tuple[object, list[dict]]]:
    """(reply request, cards) for every recommendation the shipped policy makes on the dev needs."""
    from chatbot.dialogue.events import Message
    from chatbot.dialogue.policy import decide
    from chatbot.dialogue.state import ConversationState
    from chatbot.search import search_candidates
    from chatbot.selectors import cards_for
    from chatbot.turns import reply_request

    found = []

    def collect(state, decision) -> None:
        if decision.reply_kind in ("recommend", "more") and decision.cards:
            cards = cards_for(slugs=[card.slug for card in decision.cards], query=decision.query)
            found.append((reply_request(decision, cards, state), cards))

    for case in dev["single_turn"]:
        state = ConversationState()
        collect(state, decide(state, Message(case["query"]), search=search_candidates))
    for case in dev["multi_turn"]:
        play(decide, case, on_decision=collect)
    return found


def backends() -> dict:
    """The served model, and the same model and prompt decoding freely (the landed behaviour)."""
    from chatbot.llm.runner import get_backend
    from chatbot.llm.transformers_backend import TransformersBackend

    class Free(TransformersBackend):
        def grounds(self, request) -> bool:
            return False

    served = get_backend()
    free = Free(served.model, served.adapter, served.load_in_4bit, served.device)
    free._loaded = served.loaded()
    return {"grounded": served, "free": free}


class Recorded:
    """The backend's own words, before the guard, for counting what the model claimed."""

    def __init__(self, backend) -> None:
        self.backend, self.name, self.adapter, self.pieces = backend, backend.name, backend.adapter, []

    def grounds(self, request) -> bool:
        return self.backend.grounds(request)

    def stream(self, request, params):
        for piece in self.backend.stream(request, params):
            self.pieces.append(piece)
            yield piece


def unsupported_sentences(text: str, request) -> tuple[int, int]:
    from chatbot.llm.verifier import Facts, unsupported

    facts = Facts.of(request.cards, f"{request.need} {request.said}")
    sentences = [sentence for sentence in SENTENCE.split(text.strip()) if re.search(r"\w", sentence)]
    return sum(1 for sentence in sentences if unsupported(sentence, facts)), len(sentences)


def run_mode(model, requests: list, names: list[str]) -> dict:
    from chatbot.llm.base import GenerationParams
    from chatbot.llm.runner import stream_reply

    params = GenerationParams.from_settings()
    figures = {"raw": [0, 0], "sent": [0, 0], "internals": 0, "model": 0, "first": [], "total": []}
    for request, cards in requests:
        backend = Recorded(model)

        async def reply(backend=backend, request=request):
            async for event in stream_reply(request, params, catalogue_names=names, backend=backend):
                if event.final:
                    return event
            raise RuntimeError("no final event")

        final = asyncio.run(reply())
        for key, text in (("raw", "".join(backend.pieces)), ("sent", final.full_text)):
            bad, total = unsupported_sentences(text, request)
            figures[key][0] += bad
            figures[key][1] += total
        figures["internals"] += bool(INTERNALS.search(final.full_text) or any(
            INTERNALS.search(card["reason"]) for card in cards))  # fmt: skip
        figures["model"] += not final.fell_back
        figures["first"].append(final.first_token_ms / 1000)
        figures["total"].append(final.total_ms / 1000)
    return figures


def prefill_seconds(requests: list) -> list[float]:
    """The baseline for the first token: processing each reply's prompt, which comes before any token."""
    import torch

    from chatbot.llm.prompts import build_messages
    from chatbot.llm.runner import get_backend

    model, tokenizer = get_backend().loaded()
    samples = []
    for request, _ in requests:
        inputs = tokenizer.apply_chat_template(
            build_messages(request), add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        with torch.inference_mode():
            started = time.perf_counter()
            model(**inputs, logits_to_keep=1)
            samples.append(time.perf_counter() - started)
    return samples


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.0%})" if whole else "0/0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--catalog", type=Path, default=SHARED / "amo-catalog.json")
    parser.add_argument("--queries", type=Path, default=SHARED / "dev-queries.json")
    parser.add_argument("--modes", default="grounded,free", help="comma-separated: grounded,free")
    args = parser.parse_args()
    scratch_django()
    import_catalog(args.catalog)
    from retrieval.lexical import lexical_index

    requests = requests_for(json.loads(args.queries.read_text()))
    names = [row["name"] for row in lexical_index().rows]
    prefill = prefill_seconds(requests)
    print(f"{len(requests)} recommendations on the dev needs; prompt prefill (the floor for a first token): "
          f"{percentiles(prefill)}")  # fmt: skip
    print(f"{'mode':<9} {'model unsupported':>20} {'sent unsupported':>18} {'internals':>11} {'by the model':>14}"
          "  first words (prefill + p50)")  # fmt: skip
    from chatbot.llm.runner import generations_idle

    models = backends()
    for mode in args.modes.split(","):
        figures = run_mode(models[mode], requests, names)
        over = statistics.median(figures["first"]) - statistics.median(prefill)
        print(f"{mode:<9} {share(*figures['raw']):>20} {share(*figures['sent']):>18} "
              f"{share(figures['internals'], len(requests)):>11} {share(figures['model'], len(requests)):>14}"
              f"  {percentiles(figures['first'])} (+{over * 1000:.0f} ms); whole reply "
              f"{percentiles(figures['total'])}")  # fmt: skip
    generations_idle()


if __name__ == "__main__":
    main()
