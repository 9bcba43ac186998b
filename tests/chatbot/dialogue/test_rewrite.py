from __future__ import annotations

import pytest

from chatbot.dialogue.rewrite import read, standalone_query
from chatbot.dialogue.state import CATEGORY, FREE, MIN_RATING, NO_ALL_SITES, OPEN_SOURCE

PREVIOUS = "dark mode for youtube"


def kinds(message: str) -> dict[str, str]:
    return {constraint.kind: constraint.value for constraint in read(message).constraints}


@pytest.mark.parametrize(
    "message, expected",
    [
        ("for reddit", "dark mode for youtube reddit"),
        ("what about on reddit too?", "dark mode for youtube reddit"),
        ("but only at night", "dark mode for youtube night"),
        ("no, something for comments", "dark mode for youtube comments"),
        ("for youtube please", "dark mode for youtube"),
    ],
)
def test_a_follow_up_refines_the_previous_query(message, expected):
    assert standalone_query(PREVIOUS, message) == expected


@pytest.mark.parametrize(
    "message, expected",
    [
        ("I need a password manager", "password manager"),
        ("Is there a way to group my tabs?", "way to group my tabs"),
        ("looking for a translator", "translator"),
        ("block trackers and cookies on shopping sites", "block trackers and cookies on shopping sites"),
    ],
)
def test_a_new_need_replaces_the_previous_query(message, expected):
    assert standalone_query(PREVIOUS, message) == expected


def test_the_first_message_is_the_query_without_filler():
    assert standalone_query("", "Hi! Any add-ons that help students, please?") == "help students"


@pytest.mark.parametrize("message", ["no, something else", "thanks", "actually, something else please", "ok"])
def test_filler_alone_leaves_the_query_as_it_was(message):
    assert standalone_query(PREVIOUS, message) == PREVIOUS


def test_a_negated_word_is_not_added_and_is_taken_out_of_the_query():
    assert standalone_query(PREVIOUS, "not for youtube, for reddit") == "dark mode for reddit"
    assert "ads" not in standalone_query("block popups", "but not ads")


@pytest.mark.parametrize(
    "message, expected",
    [
        ("something free", {FREE: "1"}),
        ("no payment please", {FREE: "1"}),
        ("I don't want to pay", {FREE: "1"}),
        ("free and open source", {FREE: "1", OPEN_SOURCE: "1"}),
        ("but open-source", {OPEN_SOURCE: "1"}),
        ("it should not have access to all sites", {NO_ALL_SITES: "1"}),
        ("something privacy friendly", {NO_ALL_SITES: "1"}),
        ("one that doesn't read all my data", {NO_ALL_SITES: "1"}),
        ("Privacy & Security", {CATEGORY: "privacy-security"}),
        ("in web-development", {CATEGORY: "web-development"}),
        ("something for tabs", {CATEGORY: "tabs"}),
        ("at least 4 stars", {MIN_RATING: "4"}),
    ],
)
def test_constraint_phrases_become_constraints_not_query_words(message, expected):
    assert kinds(message) == expected
    assert standalone_query(PREVIOUS, message) == PREVIOUS


@pytest.mark.parametrize(
    "message",
    [
        "find free copies of journal articles",
        "an ad-free youtube",
        "it doesn't need to be free",
        "save my tabs and bookmarks",
    ],
)
def test_words_that_only_look_like_constraints_stay_words(message):
    assert kinds(message) == {}


@pytest.mark.parametrize(
    "message, flag",
    [
        ("no, something else", "rejects"),
        ("not what I'm looking for", "rejects"),
        ("show me more", "more"),
        ("any others?", "more"),
        ("yes please", "affirmative"),
        ("thanks, that's it!", "thanks"),
    ],
)
def test_reply_kinds_are_recognised(message, flag):
    assert getattr(read(message), flag)


@pytest.mark.parametrize("message", ["doesn't matter", "no particular site", "any", "none of these"])
def test_no_preference_reads_as_indifferent(message):
    assert read(message).indifferent


def test_an_llm_rewrite_is_used_when_it_answers():
    calls = []

    def rewriter(previous, message):
        calls.append((previous, message))
        return "dark mode for reddit"

    assert standalone_query(PREVIOUS, "and reddit, not youtube", llm_rewrite=rewriter) == "dark mode for reddit"
    assert calls == [(PREVIOUS, "and reddit, not youtube")]


@pytest.mark.parametrize("answer", [None, "", "   ", "x " * 200])
def test_an_llm_rewrite_that_declines_or_rambles_falls_back_to_the_rules(answer):
    assert standalone_query(PREVIOUS, "for reddit", llm_rewrite=lambda previous, message: answer) == (
        "dark mode for youtube reddit"
    )


@pytest.mark.parametrize(
    "message, answer",
    [
        ("and reddit, not youtube", "dark mode for youtube"),  # drops what the message asks
        ("and reddit, not youtube", "dark mode for reddit and youtube"),  # keeps what the visitor denied
        ("for reddit", "reddit"),  # loses the need it refines
        ("for reddit", "cool themes for reddit fans and gamers"),  # mostly invented
    ],
)
def test_an_unfaithful_llm_rewrite_falls_back_to_the_rule(message, answer):
    assert standalone_query(PREVIOUS, message, llm_rewrite=lambda previous, text: answer) == (
        standalone_query(PREVIOUS, message)
    )


def test_the_llm_is_not_asked_without_a_query_to_merge_with_or_words_to_merge():
    def rewriter(previous, message):
        raise AssertionError("asked")

    assert standalone_query("", "dark mode for reddit", llm_rewrite=rewriter) == "dark mode for reddit"
    assert standalone_query(PREVIOUS, "something free", llm_rewrite=rewriter) == PREVIOUS


def test_an_answer_refines_the_need_even_when_it_reads_like_a_new_one():
    answer = "custom skins, background music and sound effects"
    assert standalone_query("play games", answer) == "custom skins background music and sound effects"
    assert standalone_query("play games", answer, answer=True) == (
        "play games custom skins background music and sound effects"
    )
    merged = standalone_query(
        "play games", answer, answer=True, llm_rewrite=lambda previous, text: "games with custom skins and music"
    )
    assert merged == "games with custom skins and music"
    assert standalone_query("play games", answer, answer=True, llm_rewrite=lambda previous, text: "custom skins") == (
        "play games custom skins background music and sound effects"
    )
