from __future__ import annotations

import pytest

from chatbot.dialogue.questions import (
    CATEGORY_FACET,
    FUNCTION,
    LICENSE,
    MAX_OPTIONS,
    MIN_OPTIONS,
    PRIVACY,
    SITE,
    TEXTS,
    choose_question,
    quality,
    settled,
    splits,
    worth,
)
from chatbot.dialogue.state import CATEGORY, NO_ALL_SITES, TERM, Constraint, Option, Question
from tests.chatbot.dialogue.fakes import candidate


def ask(candidates, *, asked=(), constraints=(), query=""):
    return choose_question(candidates, asked=set(asked), constraints=list(constraints), query=query, question_id="q1")


def dark_modes():
    """Same function and category, evenly split over three sites."""
    return [
        candidate(
            f"{site}-dark-{index}",
            f"Dark {site.title()} {index}",
            f"A dark mode for {name}.",
            "appearance",
            tags=("dark mode",),
            sites=(f"{site}.com",),
        )
        for site, name in [("youtube", "YouTube"), ("reddit", "Reddit"), ("github", "GitHub")]
        for index in range(3)
    ]


def youtube_helpers():
    """Same site, no shared words besides it, evenly split over three categories."""
    rows = [
        ("alpha", "appearance"),
        ("bravo", "appearance"),
        ("charlie", "photos-music-videos"),
        ("delta", "photos-music-videos"),
        ("echo", "download-management"),
        ("foxtrot", "download-management"),
    ]
    return [
        candidate(word, word.title(), f"{word} for YouTube", category, sites=("youtube.com",))
        for word, category in rows
    ]


def players():
    """Same site and category; what they do differs."""
    rows = [
        ("autoplay", "Stops autoplay of videos"),
        ("autoplay-2", "Disables autoplay of videos everywhere"),
        ("subtitles", "Dual subtitles for learning"),
        ("subtitles-2", "Shows dual subtitles live"),
        ("speed", "Playback speed control"),
        ("speed-2", "Remembers playback speed"),
    ]
    return [
        candidate(slug, slug.title(), summary, "photos-music-videos", sites=("youtube.com",)) for slug, summary in rows
    ]


def labels(question):
    return [option.label for option in question.options]


def test_an_even_split_by_site_asks_for_the_site():
    question = ask(dark_modes(), query="dark mode")
    assert question.facet == SITE
    assert question.text == TEXTS[SITE]["en"]
    assert sorted(labels(question)) == ["GitHub", "Reddit", "YouTube"]
    youtube = next(option for option in question.options if option.label == "YouTube")
    assert youtube.constraints == (Constraint(TERM, "youtube", "YouTube"),)
    assert youtube.slugs == ("youtube-dark-0", "youtube-dark-1", "youtube-dark-2")


def test_one_site_and_several_categories_asks_for_the_category():
    question = ask(youtube_helpers(), query="youtube")
    assert question.facet == CATEGORY_FACET
    assert sorted(labels(question)) == ["Appearance", "Download Management", "Photos, Music & Videos"]
    assert question.option("appearance").constraints == (Constraint(CATEGORY, "appearance", "Appearance"),)


def test_one_site_and_one_category_asks_what_it_should_do():
    question = ask(players(), query="youtube videos")
    assert question.facet == FUNCTION
    assert sorted(labels(question)) == ["Autoplay of videos", "Dual subtitles", "Playback speed"]
    assert {option.id for option in question.options} == {"autoplay-of-videos", "dual-subtitles", "playback-speed"}


def test_licence_and_permissions_are_asked_when_nothing_else_splits():
    pool = [
        candidate(
            f"same-{index}",
            f"Same {index}",
            "Same words",
            "tabs",
            license="MIT" if index % 2 else "",
            all_sites=index < 3,
        )
        for index in range(6)
    ]
    facets = [split.facet for split in splits(pool, asked=set(), constraints=[], query="same words")]
    assert set(facets) == {LICENSE, PRIVACY}
    assert labels(ask(pool, asked={LICENSE}, query="same words")) == ["No access to all sites", "Doesn't matter"]
    german = choose_question(pool, asked={LICENSE}, constraints=[], query="same words", question_id="q1",
                             language="de")  # fmt: skip
    assert german.text == "Soll es ohne Zugriff auf alle Ihre Websites auskommen?"
    assert labels(german) == ["Kein Zugriff auf alle Websites", "Egal"]
    assert german.options[0].constraints == ask(pool, asked={LICENSE}, query="same words").options[0].constraints


def test_options_come_from_the_candidates_and_number_two_to_five():
    pool = dark_modes() + youtube_helpers() + players()
    slugs = {item.slug for item in pool}
    for split in splits(pool, asked=set(), constraints=[], query=""):
        assert MIN_OPTIONS <= len(split.options) <= MAX_OPTIONS
        assert all(option.slugs and set(option.slugs) <= slugs for option in split.options)
        assert len({option.id for option in split.options}) == len(split.options)


def test_a_facet_already_asked_is_never_asked_again():
    pool = dark_modes()
    first = ask(pool, query="dark mode")
    second = ask(pool, asked={first.facet}, query="dark mode")
    assert second is None or second.facet != first.facet


def question(facet, *, option="", text=""):
    options = (Option(f"{facet}-a", "A"), Option(f"{facet}-b", "B"))
    return Question(f"q-{facet}", facet, TEXTS[facet]["en"], options, answer_option=option, answer_text=text)


def test_an_open_facet_answered_by_a_quick_reply_may_be_asked_once_more_with_other_options():
    done, offered = settled([question(FUNCTION, option="function-a"), question(CATEGORY_FACET, option="category-a")])
    assert done == {CATEGORY_FACET}
    assert offered == {"function-a", "function-b", "category-a", "category-b"}
    done, _ = settled([question(FUNCTION, option="function-a"), question(FUNCTION, option="function-b")])
    assert done == {FUNCTION}


@pytest.mark.parametrize("asked", [question(SITE, text="reddit"), question(SITE), question(LICENSE, option="x")])
def test_a_facet_answered_in_words_left_unanswered_or_yes_no_is_settled(asked):
    assert settled([asked])[0] == {asked.facet}


def test_options_offered_before_are_not_offered_again():
    pool = dark_modes()
    first = ask(pool, query="dark mode")
    again = choose_question(
        pool,
        asked=set(),
        offered={option.id for option in first.options},
        constraints=[],
        query="dark mode",
        question_id="q2",
    )
    assert again is None or not {option.id for option in again.options} & {option.id for option in first.options}


def test_a_category_the_visitor_already_named_is_not_offered():
    assert ask(youtube_helpers(), asked={SITE, FUNCTION}, query="youtube").option("download-management")
    named = ask(youtube_helpers(), asked={SITE, FUNCTION}, query="youtube downloads")
    assert named is None or named.option("download-management") is None


def test_an_applied_constraint_is_never_offered():
    assert "YouTube" not in labels(ask(dark_modes(), query="dark mode youtube"))
    category = Constraint(CATEGORY, "appearance", "Appearance")
    assert ask(youtube_helpers(), constraints=[category], query="youtube").option("appearance") is None
    pool = [candidate(f"p{index}", f"P{index}", "Same words", "tabs", all_sites=index < 3) for index in range(6)]
    assert ask(pool, constraints=[Constraint(NO_ALL_SITES, "1")], query="same words") is None


def test_nothing_to_split_asks_nothing():
    assert ask(dark_modes()[:1], query="dark mode") is None
    assert ask([], query="dark mode") is None


def test_quality_prefers_even_splits_that_cover_the_pool():
    even = [Option("a", "A", slugs=("1", "2")), Option("b", "B", slugs=("3", "4"))]
    skewed = [Option("a", "A", slugs=("1", "2", "3")), Option("b", "B", slugs=("4",))]
    partial = [Option("a", "A", slugs=("1",)), Option("b", "B", slugs=("2",))]
    assert quality(even, 4) > quality(skewed, 4) > quality(partial, 4) > 0
    assert quality(even[:1], 4) == 0


@pytest.mark.parametrize("summary", ["Works great for Students and teachers.", "Best Dark Mode For Everyone"])
def test_capitalised_words_are_not_mistaken_for_sites_when_also_written_in_lower_case(summary):
    pool = [candidate("a", "A", summary, "tabs"), candidate("b", "B", "For students who love dark mode.", "tabs")]
    assert all(split.facet != SITE for split in splits(pool, asked=set(), constraints=[], query=""))


def test_an_open_facet_is_worth_more_where_its_options_leave_the_pool_to_the_visitors_own_words():
    options = (Option("a", "A", slugs=("1", "2")), Option("b", "B", slugs=("3", "4")))
    assert worth(FUNCTION, options, 4) == pytest.approx(quality(options, 4))
    assert worth(FUNCTION, options, 8) > worth(FUNCTION, options, 4) * 0.5 == quality(options, 8)
    assert worth(SITE, options, 8) == worth(FUNCTION, options, 8)
    assert worth(CATEGORY_FACET, options, 8) == pytest.approx(0.5 * quality(options, 8))
    assert worth(FUNCTION, options[:1], 8) == 0
