from dataclasses import replace

import pytest

from chatbot.llm.guard import ReplyGuard
from tests.chatbot.llm.conftest import CATALOGUE


@pytest.fixture
def guard(cards):
    return ReplyGuard(cards, CATALOGUE, need="block ads on youtube")


def fed(guard: ReplyGuard, *pieces: str) -> str:
    safe = [sentence for piece in pieces for sentence in guard.feed(piece)]
    return "".join(safe + guard.finish())


def test_card_names_and_ordinary_words_pass(guard):
    text = (
        "uBlock Origin blocks ads, and Dark Reader is a dark mode for every website. "
        "YouTube NonStop is for the video paused prompt on YouTube! This extension is an efficient blocker."
    )
    assert fed(guard, text) == text
    assert not guard.corrected


@pytest.mark.parametrize(
    "sentence",
    [
        "Try **SuperTab Booster** extension. ",
        "Try the SuperTab Booster extension today. ",
        'Or install "FastTube Pro" instead. ',
        "AdBlock Plus also blocks ads. ",
        "adblock plus works too. ",
        "Honey finds coupons. ",
        "Ghostery Tracker & Ad Blocker is similar. ",
        "It beats Google Adsblock Ripper easily. ",
        "Unlike AdSync, it is free. ",
        "Get it at https://example.com/ublock today. ",
    ],
)
def test_sentences_naming_other_addons_are_dropped(guard, sentence):
    assert fed(guard, "uBlock Origin blocks ads. ", sentence, "Enjoy!") == "uBlock Origin blocks ads. Enjoy!"
    assert guard.corrected and guard.dropped == 1


def test_a_longer_catalogue_name_around_a_card_is_caught(cards):
    guard = ReplyGuard(cards, [*CATALOGUE, "uBlock Origin Lite"])
    assert "uBlock Origin Lite" in guard.violations("uBlock Origin Lite is lighter.")
    assert guard.violations("uBlock Origin is great.") == []


def test_another_addon_a_cards_summary_names_passes_only_in_a_sentence_about_that_card(cards):
    forked = replace(cards[0], summary="A lighter fork of AdBlock Plus that blocks ads and trackers.")
    guard = ReplyGuard((forked, *cards[1:]), CATALOGUE)
    assert guard.violations("uBlock Origin is a lighter fork of AdBlock Plus that blocks ads.") == []
    assert guard.violations("AdBlock Plus blocks ads too.") == ["AdBlock Plus"]  # recommended on its own
    assert guard.violations("Dark Reader is a fork of AdBlock Plus.") == ["AdBlock Plus"]  # not its card's fact
    two = "uBlock Origin is a fork of AdBlock Plus. Dark Reader pairs well with AdBlock Plus."
    assert guard.violations(two) == ["AdBlock Plus"]  # judged sentence by sentence


def test_quoted_phrases_from_the_need_or_the_facts_pass(guard):
    text = 'For “block ads on youtube”, uBlock Origin is a "content blocker" in **Privacy & Security**. '
    assert fed(guard, text) == text


def test_everyday_names_count_only_as_names(cards):
    guard = ReplyGuard(cards, ["Open With", "Clear Cache", "Zoom", "Dark Reader Pro"])
    assert guard.violations("Open it with a click and clear cache when you like.") == []
    assert guard.violations("Open With handles links.") == ["Open With"]
    assert guard.violations("Dark Reader Pro costs money.") == ["Dark Reader Pro"]


def test_capitalised_words_from_the_facts_pass(guard):
    assert guard.violations("On YouTube, the Privacy & Security pick is uBlock Origin.") == []
    assert guard.violations("Sure, Mozilla Firefox runs them all.") == []


def test_a_miswritten_piece_of_a_given_word_is_no_name_but_a_new_camelcase_word_is(cards):
    mail = replace(cards[0], name="Mailvelope", summary="Adds OpenPGP encryption to webmail.")
    guard = ReplyGuard((mail, *cards[1:]), CATALOGUE)
    assert guard.violations("Mailvelope adds open pGP encryption to webmail.") == []
    assert guard.violations("Mailvelope works like MailCrypt.") == ["MailCrypt"]
    assert guard.claims("Mailvelope adds open pGP encryption to webmail.") == []  # a fact's word, spaced
    assert guard.claims("Mailvelope adds open encryption to PGP webmail.") == ["open", "pgp"]  # not one word


def test_short_names_are_ignored(cards):
    assert ReplyGuard(cards, ["Owl", "Qr"]).violations("An owl can read a QR code or PDFs.") == []


def test_incremental_feeding_across_piece_boundaries(guard):
    pieces = [
        "uBl",
        "ock Ori",
        "gin blo",
        "cks ads",
        ".",
        " Also ",
        "try **Super",
        "Tab Boo",
        "ster**",
        ". ",
        "Dark Reader is a dark mo",
        "de.\n",
        "Enjoy",
    ]
    released = [guard.feed(piece) for piece in pieces]
    assert released[:4] == [[], [], [], []]  # nothing goes out before the sentence is known to have ended
    assert released[5] == ["uBlock Origin blocks ads. "]
    assert "".join(sum(released, []) + guard.finish()) == "uBlock Origin blocks ads. Dark Reader is a dark mode.\nEnjoy"
    assert guard.dropped == 1


def test_decimals_do_not_end_a_sentence(guard):
    assert guard.feed("Rated 4.") == []
    assert guard.feed("8 by users. ") == ["Rated 4.8 by users. "]


def test_discard_drops_the_unfinished_sentence(guard):
    assert guard.feed("uBlock Origin is") == []
    guard.discard()
    assert guard.finish() == [] and guard.corrected


def test_require_card_holds_sentences_until_a_card_is_named(cards):
    guard = ReplyGuard(cards, CATALOGUE, require_card=True)
    assert guard.feed("Great question! ") == []
    assert guard.feed("Dark Reader is a dark mode. ") == ["Great question! ", "Dark Reader is a dark mode. "]
    assert guard.feed("Enjoy! ") == ["Enjoy! "]
    assert not guard.corrected


def test_a_card_named_with_other_spacing_or_case_counts_as_the_card(cards):
    guard = ReplyGuard(cards, CATALOGUE, require_card=True)
    assert guard.feed("Youtube Non Stop is for the paused prompt. ") == ["Youtube Non Stop is for the paused prompt. "]
    assert guard.feed("UBlock origin is a content blocker. ") == ["UBlock origin is a content blocker. "]
    assert guard.feed("Ad Block Plus is better. ") == [] and guard.corrected


def test_require_card_drops_a_reply_about_no_card(cards):
    guard = ReplyGuard(cards, CATALOGUE, require_card=True)
    assert guard.feed("This adds no value. ") == [] and guard.finish() == []
    assert guard.dropped == 1 and not guard.off_topic


def test_require_card_gives_up_after_sentences_about_no_card(cards):
    guard = ReplyGuard(cards, CATALOGUE, require_card=True)
    assert guard.feed("Hmm. Well. ") == [] and guard.off_topic
    assert guard.feed("Dark Reader is a dark mode. ") == [] and guard.finish() == []
    assert guard.dropped == 3


@pytest.mark.parametrize(
    "sentence",
    [
        "Dark Reader uses a secure method called SSL encryption. ",  # the invented features
        "uBlock Origin works without needing any external devices like TVs or monitors. ",
        "Dark Reader is rated 4.9 by users. ",  # the card says 4.5
        "YouTube NonStop adds an animated nadab to your videos. ",
    ],
)
def test_a_sentence_claiming_what_no_fact_says_is_dropped(guard, sentence):
    assert fed(guard, "Dark Reader is a dark mode for every website. ", sentence) == (
        "Dark Reader is a dark mode for every website. "
    )
    assert guard.dropped == 1


def test_a_sentence_about_one_card_is_held_to_that_cards_facts(guard):
    assert fed(guard, "Dark Reader is a dark mode for every website. ") != ""
    assert fed(guard, "Dark Reader is an efficient content blocker. ") == ""  # uBlock Origin's words
    assert fed(guard, "Dark Reader and uBlock Origin are an efficient dark mode. ") != ""  # both named: both facts


def test_the_visitors_words_and_the_cards_numbers_are_grounds(guard):
    assert fed(guard, "Dark Reader, rated 4.5, is a dark mode for youtube. ") != ""
