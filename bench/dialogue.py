"""Multi-turn dialogue quality through the real websocket (daphne), shipped policy vs a naive baseline.

A simulated visitor opens with each case's vague message; when the target is not on the cards it says
it is unsatisfied; offered quick replies, it picks one whose label shares words with its facts;
otherwise it answers a specific question with the matching fact and a vague one with its vaguest fact
left (category first). A turn is one set of cards shown.

Usage: python bench/dialogue.py --catalog ../shared/datasets/amo-catalog.json
                               --queries ../shared/datasets/dev-queries.json
       [--llm transformers|template] [--rewriter llm|rule] [--max-turns 5] [--policies shipped,baseline]
--rewriter llm lets the language model merge follow-ups with the query (LLM_REWRITE); it needs --llm transformers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import websockets
from common import REPO, SHARED, import_catalog, scratch_django

POLICIES = {"shipped": "chatbot.dialogue.policy.decide", "baseline": "chatbot.dialogue.baseline.decide"}
FACT_ORDER = ("category", "site", "feature", "other")  # vaguest first
QUESTION_FACTS = {
    "site": ("site", "website"),
    "feature": ("do", "function", "feature", "mainly"),
    "category": ("kind", "category", "type"),
}


def content_words(text: str) -> set[str]:
    from retrieval.text import stem, words

    return {stem(word) for word in words(text)}


class Visitor:
    """Answers like a person who knows what they want but not its name."""

    def __init__(self, case: dict) -> None:
        from marketplace.categories import category_name

        self.facts = {key: value for key, value in case["facts"].items() if value}
        if "category" in self.facts:
            self.facts["category"] = category_name(self.facts["category"])
        self.told: set[str] = set()

    def pick_option(self, options: list[dict]) -> dict | None:
        words = set().union(*(content_words(value) for value in self.facts.values()))
        scored = [(len(content_words(option["label"]) & words), option) for option in options]
        best = max(scored, key=lambda pair: pair[0], default=(0, None))
        return best[1] if best[0] > 0 else None

    def answer(self, question: str) -> str:
        lowered = question.lower()
        for fact, cues in QUESTION_FACTS.items():
            if fact in self.facts and fact not in self.told and any(cue in lowered.split() for cue in cues):
                self.told.add(fact)
                return self.facts[fact]
        for fact in FACT_ORDER:
            if fact in self.facts and fact not in self.told:
                self.told.add(fact)
                return self.facts[fact]
        return "something else"


async def frames_until_done(ws) -> list[dict]:
    frames = []
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=180))
        frames.append(frame)
        if frame["type"] in {"done", "error"}:
            return frames


async def run_case(url: str, case: dict, max_turns: int) -> int | None:
    """Turns until the target was shown, or None."""
    visitor = Visitor(case)
    async with websockets.connect(url, max_size=2**22) as ws:
        await ws.recv()  # session
        await ws.send(json.dumps({"type": "message", "text": case["opening"]}))
        turns = 0
        for _ in range(max_turns * 3):
            frames = await frames_until_done(ws)
            cards = next((f["cards"] for f in frames if f["type"] == "cards"), None)
            question = next((f for f in frames if f["type"] == "question"), None)
            if cards is not None:
                turns += 1
                if case["target"] in {card["slug"] for card in cards}:
                    return turns
                if turns >= max_turns:
                    return None
            if question is not None:
                option = visitor.pick_option(question["options"])
                if option is not None:
                    await ws.send(
                        json.dumps({"type": "answer", "question_id": question["question_id"], "option": option["id"]})
                    )
                else:
                    await ws.send(json.dumps({"type": "message", "text": visitor.answer(question["text"])}))
            else:
                await ws.send(json.dumps({"type": "feedback", "value": "unsatisfied"}))
    return None


async def single_turn(url: str, cases: list[dict]) -> tuple[float, list[float], list[float]]:
    """Hit@5 over the websocket (first cards plus "more"), and time to first card and first token."""
    hits, first_card, first_token = 0, [], []
    for case in cases:
        async with websockets.connect(url, max_size=2**22) as ws:
            await ws.recv()
            started = time.perf_counter()
            await ws.send(json.dumps({"type": "message", "text": case["query"]}))
            shown: list[str] = []
            card_at = token_at = None
            for frame in await frames_until_done(ws):
                if frame["type"] == "cards":
                    card_at = card_at or time.perf_counter() - started
                    shown += [card["slug"] for card in frame["cards"]]
                if frame["type"] == "token" and token_at is None:
                    token_at = time.perf_counter() - started
            if card_at is not None:
                first_card.append(card_at)
            if token_at is not None:
                first_token.append(token_at)
            while len(shown) < 5:
                await ws.send(json.dumps({"type": "more"}))
                more = [f for f in await frames_until_done(ws) if f["type"] == "cards"]
                if not more:
                    break
                shown += [card["slug"] for card in more[0]["cards"]]
            hits += any(slug in case["relevant"] for slug in shown[:5])
    return hits / len(cases), first_card, first_token


def serve(policy: str, env: dict) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "marketplace.asgi:application"],
        cwd=REPO,
        env={**env, "CHAT_POLICY": policy},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(240):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    return server, f"ws://127.0.0.1:{port}/ws/chat/"


def pct(samples: list[float]) -> str:
    if not samples:
        return "n/a"
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--catalog", type=Path, default=SHARED / "amo-catalog.json")
    parser.add_argument("--queries", type=Path, default=SHARED / "dev-queries.json")
    parser.add_argument("--llm", default="transformers", choices=["transformers", "template", "openai"])
    parser.add_argument("--rewriter", default="rule", choices=["llm", "rule"])
    parser.add_argument("--max-turns", type=int, default=5)
    parser.add_argument("--policies", default=",".join(POLICIES), help="comma-separated: shipped,baseline")
    args = parser.parse_args()
    scratch_django()
    import_catalog(args.catalog)
    dev = json.loads(args.queries.read_text())
    env = {
        **os.environ,
        "LLM_BACKEND": args.llm,
        "CHAT_RATE_LIMIT": "1000",
        "LLM_MAX_QUEUE": "8",
        "LLM_REWRITE": "1" if args.rewriter == "llm" else "0",
    }
    rewriter = "the language model" if args.rewriter == "llm" and args.llm != "template" else "the rule"
    print(
        f"{len(dev['multi_turn'])} multi-turn cases, visitor gives up after {args.max_turns} turns, LLM {args.llm}, "
        f"follow-ups merged by {rewriter}"
    )
    print(f"{'policy':<10}{'<=1':>7}{'<=2':>7}{'<=3':>7}{'<=5':>7}{'mean turns':>12}")
    shipped_extra = None
    for label, policy in ((label, POLICIES[label]) for label in args.policies.split(",")):
        server, url = serve(policy, env)
        try:
            found = [asyncio.run(run_case(url, case, args.max_turns)) for case in dev["multi_turn"]]
            within = {
                n: sum(1 for turns in found if turns is not None and turns <= n) / len(found) for n in (1, 2, 3, 5)
            }
            mean = statistics.mean(turns if turns is not None else args.max_turns + 1 for turns in found)
            print(
                f"{label:<10}"
                + "".join(f"{within[n]:>7.0%}" for n in (1, 2, 3, 5))
                + f"{mean:>12.2f}"
                + ("  (not found counts as max+1)" if None in found else "")
            )
            if label == "shipped":
                hit5, first_card, first_token = asyncio.run(single_turn(url, dev["single_turn"]))
                shipped_extra = (hit5, first_card, first_token)
        finally:
            server.terminate()
            server.wait(timeout=30)
    if shipped_extra is None:
        return
    hit5, first_card, first_token = shipped_extra
    print(f"shipped single-turn Hit@5 over the websocket: {hit5:.3f} ({len(dev['single_turn'])} queries)")
    print(f"time to first card: {pct(first_card)}; time to first token: {pct(first_token)}")


if __name__ == "__main__":
    main()
