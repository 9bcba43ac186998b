"""Learning from visitors (retrieval/feedback.py): does what visitors did help the next visitor who asks in
other words, without hurting anyone else, and without one visitor being able to push an add-on?

Targets are add-ons of the catalogue, each with three wordings of the need, all from its own listing and
never its name: two clauses of its summary ("what it does", "something else it does") and its keywords
("something for ..."). The targets are split in two by a stable hash:

- learned: two simulated visitors (bench/simulator.py, the shipped policy) come for each target, one with
  each summary clause: one visitor per need. When the target is on the cards they vote it up and say
  "That's it!", stored as the chat stores it (need, add-on, session, visitor).
- unvisited: nobody comes for them: with the dev needs, the check that learning hurts nobody else.

Printed, before and after learning, nDCG@5 and Hit@5 on the learned targets asked in the third wording
(held-out paraphrases), on the unvisited targets and on the dev needs; how often two visitors' needs were
satisfied by the same add-on, by how near the needs are (what the memory's NEAR rests on); then the encoder
fine-tuned on the same evidence (retrieval.encoder_versions, the admin's job with its defaults): its own
held-out judgment against the serving encoder, and, if that lets it be promoted, the same three sets with it
serving; then after a poisoning run on the held-out paraphrases (one visitor voting a wrong candidate up 100
times in one session, then in 5 sessions).

Usage: python bench/learning.py [--catalog ../shared/datasets/amo-catalog.json] [--targets 600] [--near 0.6]
                                [--encoder-steps 150]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from pathlib import Path

from common import SHARED, import_catalog, scratch_django
from simulator import generated_dialogues, play, split

WORD = re.compile(r"[a-z][a-z'-]{2,}")


def keyword_need(addon) -> str:
    """The need in other words: the add-on's tags and summary words, not its name, as a visitor types them."""
    from retrieval.text import STOP_WORDS

    name_words = set(WORD.findall(addon.name.lower()))
    words = [tag.lower() for tag in addon.tags if isinstance(tag, str)]
    words += WORD.findall(addon.summary_text.lower())
    kept = [word for word in dict.fromkeys(words) if word not in STOP_WORDS and word not in name_words]
    return "something for " + " ".join(kept[:4])


def need_sets(targets: int, queries: Path) -> tuple[list[dict], dict[str, list[tuple[str, dict[str, int]]]]]:
    """The learned cases (generated dialogues of the training split, with two summary clauses) and the judged
    sets: the learned targets in their third wording, the unvisited targets, the dev needs (when present)."""
    from marketplace.models import Addon

    cases = [case for case in generated_dialogues(targets) if case["facts"]["other"]]
    learned, unvisited = split(cases)
    addons = {addon.slug: addon for addon in Addon.objects.filter(slug__in=[case["target"] for case in cases])}
    sets = {
        "held-out paraphrases": [(keyword_need(addons[case["target"]]), {case["target"]: 2}) for case in learned],
        "unvisited targets": [(keyword_need(addons[case["target"]]), {case["target"]: 2}) for case in unvisited],
        "dev needs": [],
    }
    if queries.exists():
        sets["dev needs"] = [
            (case["query"], case["relevant"]) for case in json.loads(queries.read_text())["single_turn"]
        ]
    return learned, {name: needs for name, needs in sets.items() if needs}


def quality(needs: list[tuple[str, dict[str, int]]]) -> tuple[float, float]:
    """Mean nDCG@5 and Hit@5 of recommend() over (need, graded relevance)."""
    from quality import metrics

    from retrieval.recommend import recommend

    scores = [metrics([result.addon.slug for result in recommend(need, k=10)], relevant) for need, relevant in needs]
    return statistics.mean(s["nDCG@5"] for s in scores), statistics.mean(s["Hit@5"] for s in scores)


def visit(case: dict, opening: str, client: str) -> bool:
    """One visitor: plays the dialogue from their own wording; on finding the target, votes it up and says
    "That's it!" (what the chat records for those frames). Returns whether they found it."""
    from chatbot.dialogue.policy import decide
    from retrieval.services import evidence_record

    found: list[str] = []

    def watch(state, decision) -> None:
        if case["target"] in {card.slug for card in decision.cards} and not found:
            found.append(state.query or opening)

    outcome = play(decide, {**case, "opening": opening}, on_decision=watch)
    if outcome.card_sets is None or not found:
        return False
    session = f"{client}-{case['target']}"
    for signal in ("up", "satisfied"):
        evidence_record(need=found[0], slug=case["target"], signal=signal, session=session, client=client)
    return True


def agreement_by_closeness(low: float = 0.3, width: float = 0.05) -> list[tuple[float, int, float]]:
    """How often two visitors' needs were satisfied by the same add-on, by the cosine of the needs (one row
    per visitor and add-on, pairs of different visitors): where the feedback memory's NEAR belongs."""
    import numpy as np

    from retrieval.selectors import feedback_memory

    memory = feedback_memory()
    rows = list({(piece.client, piece.slug): row for row, piece in enumerate(memory.pieces)}.items())
    vectors = memory.vectors[[row for _, row in rows]]
    upper = np.triu_indices(len(rows), 1)
    similarity = (vectors @ vectors.T)[upper]
    pairs = [(rows[i][0], rows[j][0]) for i, j in zip(*upper, strict=True)]
    different = np.array([a[0] != b[0] for a, b in pairs], dtype=bool)
    same = np.array([a[1] == b[1] for a, b in pairs], dtype=bool)
    table = []
    for start in np.arange(low, 1.0, width):
        chosen = different & (similarity >= start) & (similarity < start + width)
        if chosen.any():
            table.append((float(start), int(chosen.sum()), float(same[chosen].mean())))
    return table


def poison(needs: list[tuple[str, dict[str, int]]], sessions: int) -> None:
    """One visitor votes a wrong add-on (a low candidate of each need) up, 100 times per session."""
    from retrieval.recommend import recommend
    from retrieval.services import evidence_record

    for need, relevant in needs:
        wrong = next(r.addon.slug for r in recommend(need, k=20)[::-1] if r.addon.slug not in relevant)
        for session in range(sessions):
            for _ in range(100):
                evidence_record(need=need, slug=wrong, signal="up", session=f"attacker-{session}", client="attacker")


def encoder_tuned(steps: int | None) -> bool:
    """Fine-tune the encoder on the evidence gathered, as admin's job does; promote it when its own held-out
    judgment lets it. Returns whether it serves."""
    import time

    from marketplace.jobs import jobs_wait
    from retrieval.encoder_versions import EncoderVersionRefused, embedding_version_promote, embedding_version_start

    started = time.perf_counter()
    version = embedding_version_start(steps=steps)
    jobs_wait()
    version.refresh_from_db()
    if version.status != version.Status.READY:
        print(f"encoder fine-tuning {version.status}: {version.error}")
        return False
    print(f"encoder fine-tuned in {time.perf_counter() - started:.0f} s ({version.config['steps']} steps; pairs "
          f"{version.counts['train']})")  # fmt: skip
    for label, judged in (("visitors'", version.metrics), ("listings'", version.metrics["catalogue"])):
        serving, candidate = judged["serving"], judged["candidate"]
        if candidate:
            print(f"  its {judged['needs']} held-out {label} needs: nDCG@5 {serving['nDCG@5']:.3f} -> "
                  f"{candidate['nDCG@5']:.3f}, Hit@5 {serving['Hit@5']:.3f} -> {candidate['Hit@5']:.3f}")  # fmt: skip
    try:
        embedding_version_promote(version=version)
    except EncoderVersionRefused as refused:
        print(f"not promoted: {refused}")
        return False
    jobs_wait()
    version.refresh_from_db()
    return version.status == version.Status.SERVING


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalog", type=Path, default=SHARED / "amo-catalog.json")
    parser.add_argument("--queries", type=Path, default=SHARED / "dev-queries.json")
    parser.add_argument("--targets", type=int, default=600, help="add-ons drawn (those with two clauses are used)")
    parser.add_argument("--near", type=float, help="try another need similarity threshold than the shipped one")
    parser.add_argument("--encoder-steps", type=int, help="fine-tuning steps (default: ENCODER_TUNING_STEPS); 0: skip")
    args = parser.parse_args()
    scratch_django()
    if args.near is not None:
        import retrieval.feedback

        retrieval.feedback.NEAR = args.near
    if args.catalog.exists():
        import_catalog(args.catalog)
    else:  # a fresh machine without the shared data: the demo catalogue
        from marketplace.services import demo_catalog_load
        from retrieval.sync import index_sync

        demo_catalog_load()
        index_sync()
    learned, sets = need_sets(args.targets, args.queries)
    paraphrases = sets["held-out paraphrases"]
    before = {name: quality(needs) for name, needs in sets.items()}

    found = sum(
        visit(case, case["facts"][fact], client=f"visitor-{fact}-{case['target']}")
        for case in learned
        for fact in ("feature", "other")
    )
    after = {name: quality(needs) for name, needs in sets.items()}
    print("two visitors' needs by cosine: pairs, and the share satisfied by the same add-on")
    print("  " + "  ".join(f"{start:.2f}+ {count} {share:.0%}" for start, count, share in agreement_by_closeness()))
    print(f"{len(learned)} learned targets (two visitors each: {found} of {2 * len(learned)} found theirs), "
          f"{len(sets.get('unvisited targets', []))} unvisited, "
          f"{len(sets.get('dev needs', []))} dev needs")  # fmt: skip
    print(f"{'needs':<24}{'n':>5}   nDCG@5 before -> after    Hit@5 before -> after")
    for name, needs in sets.items():
        (n0, h0), (n1, h1) = before[name], after[name]
        print(f"{name:<24}{len(needs):>5}   {n0:.3f} -> {n1:.3f} ({n1 - n0:+.3f})   {h0:.3f} -> {h1:.3f}")
    if args.encoder_steps != 0 and encoder_tuned(args.encoder_steps):
        print("with the fine-tuned encoder serving (and the memory):")
        for name, needs in sets.items():
            after[name] = quality(needs)  # poisoning is measured against this
            (n0, h0), (n2, h2) = before[name], after[name]
            print(f"{name:<24}{len(needs):>5}   {n0:.3f} -> {n2:.3f} ({n2 - n0:+.3f})   {h0:.3f} -> {h2:.3f}")
    for sessions in (1, 5):
        poison(paraphrases, sessions)
        n2, h2 = quality(paraphrases)
        n1, h1 = after["held-out paraphrases"]
        print(f"poisoned, one visitor in {sessions} session(s) x 100 up-votes per need: held-out paraphrases "
              f"nDCG@5 {n2:.3f} ({n2 - n1:+.3f} against what was learned), Hit@5 {h2:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
