import json

import pytest

from chatbot.llm.base import CardFact, ReplyRequest
from chatbot.llm.constrained import MAX_WORDS
from chatbot.llm.prompts import SYSTEM_PROMPT, build_messages
from chatbot.llm.verifier import Facts, unsupported
from chatbot.models import Conversation, Message
from training import dataset
from training.trainer import load_tokenizer


def reply(conversation, turn, *, cards, text="Night Shade darkens every page.", question=None):
    return Message.objects.create(
        conversation=conversation, turn=turn, role="assistant", kind="reply", text=text, cards=cards, question=question
    )


def visitor(conversation, turn, kind="message", text="", feedback=None):
    return Message.objects.create(
        conversation=conversation, turn=turn, role="visitor", kind=kind, text=text, feedback=feedback
    )


CARD = {
    "slug": "night-shade",
    "name": "Night Shade",
    "summary": "Dark mode for every website.",
    "categories": [{"slug": "appearance", "name": "Appearance"}],
    "rating": 4.2,
    "users": 1234,
    "reason": "",
}
OTHER = {**CARD, "slug": "sun-filter", "name": "Sun Filter", "summary": "Dims bright pages."}


def test_catalogue_examples_pair_needs_with_grounded_answers(catalogue):
    examples = dataset.catalogue_examples(seed=1)
    by_source = {}
    for example in examples:
        by_source.setdefault(example.source, []).append(example)
    assert set(by_source) == {"need", "about", "category", "price"}
    assert len(by_source["about"]) == len(by_source["category"]) == len(by_source["price"]) == len(catalogue)
    for example in by_source["need"]:
        system, *_, user, assistant = example.messages
        assert system == {"role": "system", "content": SYSTEM_PROMPT}
        need = user["content"].splitlines()[0]
        assert need.startswith("I need: ") and example.answer_name.lower() not in need.lower()
        cards = [line for line in user["content"].splitlines() if line.startswith("- ")]
        assert len(cards) == dataset.CARDS_PER_NEED and any(
            line.startswith(f"- {example.answer_name} (") for line in cards
        )
        assert assistant["role"] == "assistant" and example.answer_name in assistant["content"]
        shown = [line[2:].split(" (")[0] for line in cards]
        sentences = assistant["content"].split(". ")
        assert [sentence.split(" ")[0] for sentence in sentences] == [name.split(" ")[0] for name in shown]
        names_in_answer = {name for _, name, *_ in catalogue if name in assistant["content"]}
        assert names_in_answer == set(shown)  # one sentence per card shown, in order, and no other add-on


def test_metadata_answers_come_from_the_listing(catalogue):
    examples = {(e.source, e.answer_name): e for e in dataset.catalogue_examples(seed=1)}
    assert examples[("price", "Pass Vault")].answer == "Pass Vault requires payment."
    assert examples[("price", "Night Shade")].answer == "Night Shade is free to install."
    assert "Free to install" in examples[("price", "Night Shade")].messages[-2]["content"]  # grounded in the card
    assert examples[("category", "Tab Keeper")].messages[-1]["content"] == "Tab Keeper is in Tabs."
    assert "- Tab Keeper (Tabs)" in examples[("category", "Tab Keeper")].messages[-2]["content"]  # grounded too
    about = examples[("about", "Ad Sweeper")]
    assert about.messages[-2]["content"].startswith("I need: What does Ad Sweeper do?")
    assert about.messages[-1]["content"] == "Ad Sweeper blocks ads, pop ups and trackers on video sites."


def test_prompts_are_the_shape_the_chat_serves(catalogue):
    example = next(e for e in dataset.catalogue_examples(seed=1) if e.source == "about")
    request_user = example.messages[-2]["content"]
    assert request_user.endswith(
        build_messages(ReplyRequest(kind="recommend", need="x", cards=()))[1]["content"].splitlines()[-1]
    )


def test_only_liked_replies_are_learned(catalogue):
    happy = Conversation.objects.create(outcome="satisfied")
    visitor(happy, 1, text="pages are too bright at night")
    reply(happy, 1, cards=[CARD, OTHER])
    upvoted = Conversation.objects.create()
    visitor(upvoted, 1, text="dark pages please")
    reply(upvoted, 1, cards=[CARD, OTHER], text="Sun Filter and Night Shade help.")
    visitor(upvoted, 1, kind="feedback", feedback={"slug": "night-shade", "value": "up"})
    downvoted = Conversation.objects.create(outcome="satisfied")
    visitor(downvoted, 1, text="dim the screen")
    reply(downvoted, 1, cards=[CARD, OTHER], text="Sun Filter is great.")
    visitor(downvoted, 1, kind="feedback", feedback={"slug": "sun-filter", "value": "down"})
    unhappy = Conversation.objects.create()
    visitor(unhappy, 1, text="make it dark")
    reply(unhappy, 1, cards=[CARD])
    visitor(unhappy, 1, kind="feedback", feedback={"value": "unsatisfied"})
    silent = Conversation.objects.create()
    visitor(silent, 1, text="dark theme")
    reply(silent, 1, cards=[CARD])

    examples = dataset.conversation_examples()
    answers = sorted((e.group, e.messages[-1]["content"], e.answer_name) for e in examples)
    assert answers == [
        (f"conversation-{happy.pk}", "Night Shade darkens every page.", ""),
        (f"conversation-{upvoted.pk}", "Sun Filter and Night Shade help.", "Night Shade"),
    ]
    liked = next(e for e in examples if e.group == f"conversation-{upvoted.pk}")
    assert liked.messages[-2]["content"].startswith("I need: dark pages please")


def test_only_verified_targets_from_the_chosen_sources_are_kept(catalogue):
    grounded = Conversation.objects.create(outcome="satisfied")
    visitor(grounded, 1, text="pages are too bright at night")
    reply(grounded, 1, cards=[CARD, OTHER], text="Night Shade offers dark mode for every website.")
    invented = Conversation.objects.create(outcome="satisfied")
    visitor(invented, 1, text="dark pages please")
    reply(invented, 1, cards=[CARD], text="Night Shade uses SSL encryption to protect your passwords.")

    kept, dropped = dataset.examples_for(["conversations"], seed=1)
    assert [example.group for example in kept] == [f"conversation-{grounded.pk}"]
    assert dropped == {"conversation": 1}
    catalogue_only, none_dropped = dataset.examples_for(["catalogue"], seed=1)
    assert catalogue_only and {example.source for example in catalogue_only} == {"need", "about", "category", "price"}
    assert none_dropped == {}  # every catalogue target is written to pass the verifier
    assert all(example.verified([name for _, name, *_ in catalogue]) for example in catalogue_only)


def test_a_target_sentence_is_no_longer_than_the_grounded_decoder_allows():
    long = CardFact.from_card(
        {
            **CARD,
            "summary": "Blocks ads and trackers on every site you visit with filter lists you choose and "
            "a counter of what was blocked on each page today",
        }
    )
    sentence = dataset.card_sentence(long)
    said = sentence.removeprefix("Night Shade ").rstrip(".").split()
    assert len(said) <= MAX_WORDS and said[-1].lower() not in {"and", "with", "of", "a", "the", "you"}
    assert sentence.startswith("Night Shade blocks ads and trackers on every site")


def test_catalogue_verbs_are_words_written_where_only_a_verb_stands():
    verbs = dataset.catalogue_verbs(
        [
            "Saves pages for later. It switches tabs. It copies links.",  # third person, first or after "it"
            "You can block trackers, and you choose what to keep.",  # plain, after "can" or "you"
            "Vertical tabs in a tree. Protects you from trackers.",  # a noun first; "you from" is no verb
        ]
    )
    assert {"save", "switch", "copy", "block", "choose"} <= verbs
    assert not {"vertical", "tab", "tree", "from", "tracker"} & verbs


@pytest.mark.parametrize(
    ("summary", "sentence"),
    [
        ("Blocks ads on every site.", "Night Shade blocks ads on every site."),
        ("A dark theme for every site.", "Night Shade is a dark theme for every site."),
        ("Save pages to read later.", "Night Shade lets you save pages to read later."),  # an instruction
        ("Automatically opens links in a container.", "Night Shade automatically opens links in a container."),
        ("Vertical tabs in a tree.", "Night Shade offers vertical tabs in a tree."),
    ],
)
def test_a_target_sentence_joins_name_and_summary_by_how_the_summary_starts(summary, sentence):
    card = CardFact.from_card({**CARD, "summary": summary})
    written = dataset.card_sentence(card, verbs=frozenset({"save", "block", "open"}))
    assert written == sentence
    assert not unsupported(written, Facts.of([card]))  # "lets you" and "offers" claim nothing


def test_split_is_stable_and_keeps_an_addon_on_one_side():
    groups = [f"addon-{number}" for number in range(2000)]
    first = [dataset.in_validation(group, fraction=0.1, seed=3) for group in groups]
    assert first == [dataset.in_validation(group, fraction=0.1, seed=3) for group in groups]
    assert 0.07 < sum(first) / len(groups) < 0.13
    assert first != [dataset.in_validation(group, fraction=0.1, seed=4) for group in groups]


@pytest.mark.slow
def test_training_set_is_saved_with_the_chat_template(catalogue, tmp_path):
    tokenizer = load_tokenizer("")
    examples = dataset.catalogue_examples(seed=1)
    files = dataset.training_set_write(
        examples=examples, tokenizer=tokenizer, directory=tmp_path / "set", fraction=0.3, seed=1
    )
    rows = dataset.read_jsonl(files.train) + dataset.read_jsonl(files.validation)
    assert files.counts["train"] + files.counts["validation"] == len(examples) == len(rows)
    assert files.counts["validation"] > 0 and files.counts["train"] > 0
    assert sum(files.counts["train_by_source"].values()) == files.counts["train"]
    row = rows[0]
    assert row["prompt"].startswith("<|im_start|>system\n") and row["prompt"].endswith("<|im_start|>assistant\n")
    assert row["completion"] == row["messages"][-1]["content"] + "<|im_end|>\n"
    groups = {
        split: {json.loads(line)["group"] for line in path.read_text().splitlines()}
        for split, path in (("train", files.train), ("validation", files.validation))
    }
    assert not groups["train"] & groups["validation"]
