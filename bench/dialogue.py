"""Multi-turn dialogue quality, shipped policy vs the naive loop, on the hand-written dev dialogues and on
dialogues generated from the catalogue (a half to tune on, a half to check on), in one run.

A simulated visitor (bench/simulator.py) opens vaguely; when the target is not on the cards it says it
is unsatisfied; offered quick replies, it picks one whose label shares words with what it knows;
otherwise it answers a question with the fact the question asks for, or its vaguest fact left. A card
set is one set of cards shown; the visitor gives up after --max-turns of them. Runs in process, as the
chat does minus storage and words (the policies' decisions do not depend on the reply text).

Usage: python bench/dialogue.py --catalog ../shared/datasets/amo-catalog.json
                               --queries ../shared/datasets/dev-queries.json
       [--generated 400] [--max-turns 5] [--policies shipped,baseline] [--rewriter rule|llm]
--rewriter llm lets the language model merge follow-ups with the query (LLM_REWRITE=1).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from common import SHARED, import_catalog, scratch_django
from simulator import generated_dialogues, play, split

POLICIES = {"shipped": "chatbot.dialogue.policy.decide", "baseline": "chatbot.dialogue.baseline.decide"}
HORIZONS = (1, 2, 3, 5)


def score(found: list[int | None], max_turns: int) -> tuple[dict[int, float], float]:
    within = {n: sum(1 for sets in found if sets is not None and sets <= n) / len(found) for n in HORIZONS}
    return within, statistics.mean(sets if sets is not None else max_turns + 1 for sets in found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--catalog", type=Path, default=SHARED / "amo-catalog.json")
    parser.add_argument("--queries", type=Path, default=SHARED / "dev-queries.json")
    parser.add_argument("--generated", type=int, default=400, help="dialogues generated from the catalogue")
    parser.add_argument("--max-turns", type=int, default=5, help="card sets before the visitor gives up")
    parser.add_argument("--policies", default=",".join(POLICIES), help="comma-separated: shipped,baseline")
    parser.add_argument("--rewriter", default="rule", choices=["llm", "rule"])
    parser.add_argument("--misses", action="store_true", help="List validation dialogues the shipped policy missed.")
    args = parser.parse_args()
    scratch_django()
    import_catalog(args.catalog)
    from django.utils.module_loading import import_string

    from chatbot.llm.rewriter import llm_rewrite

    tune, validation = split(generated_dialogues(args.generated))
    sets = {"dev (hand-written)": json.loads(args.queries.read_text())["multi_turn"], "generated tune": tune,
            "generated validation": validation}  # fmt: skip
    rewrite = llm_rewrite if args.rewriter == "llm" else None
    print(f"visitor gives up after {args.max_turns} card sets; follow-ups merged by "
          f"{'the language model' if rewrite else 'the rule'}")  # fmt: skip
    horizons = "".join(f"{'<=' + str(n):>7}" for n in HORIZONS)
    print(f"{'dialogues':<24}{'n':>5} {'policy':<10}{horizons}  mean sets")
    for name, cases in sets.items():
        for label in args.policies.split(","):
            decide = import_string(POLICIES[label])
            started = time.perf_counter()
            outcomes = [play(decide, case, max_card_sets=args.max_turns, llm_rewrite=rewrite) for case in cases]
            within, mean = score([outcome.card_sets for outcome in outcomes], args.max_turns)
            print(f"{name:<24}{len(cases):>5} {label:<10}" + "".join(f"{within[n]:>7.0%}" for n in HORIZONS)
                  + f"{mean:>11.2f}   ({time.perf_counter() - started:.0f} s)")  # fmt: skip
            if args.misses and label == "shipped" and name == "generated validation":
                for case, outcome in zip(cases, outcomes, strict=True):
                    if outcome.card_sets is None:
                        print(f"    missed {case['target']}: {case['opening']!r} {case['facts']}")


if __name__ == "__main__":
    main()
