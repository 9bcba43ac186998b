"""recommend() on the demo catalogue: ranking sanity, every filter, exclusions, typos, reasons."""

from __future__ import annotations

from marketplace.models import Addon
from retrieval.lexical import LexicalIndex
from retrieval.query import Filters
from retrieval.recommend import fuse, prior, recommend

AD_BLOCKERS = {"ublock-origin", "adblock-plus", "adguard-adblocker", "ghostery", "adblocker-ultimate"}


def slugs(results) -> list[str]:
    return [result.addon.slug for result in results]


def test_a_need_for_blocking_ads_returns_an_ad_blocker_first(demo_catalog):
    results = recommend("block annoying ads on every website", k=5)
    assert results[0].addon.slug in AD_BLOCKERS
    assert len(results) == 5 and results[0].score >= results[-1].score


def test_problems_not_features_find_the_feature(demo_catalog):
    assert "darkreader" in slugs(recommend("my eyes hurt when I read at night", k=3))
    tab_helpers = {"onetab", "auto-tab-discard", "tab-stash", "tree-style-tab", "simple-tab-groups"}
    assert tab_helpers & set(slugs(recommend("too many tabs and Firefox is slow", k=3)))


def test_typos_are_read_as_the_word_meant(demo_catalog):
    results = recommend("pasword manger", k=3)
    assert all("password" in r.addon.name.lower() or "pass" in r.addon.slug for r in results)


def test_words_of_another_language_are_never_corrected_into_english_ones():
    row = {
        "slug": "ua-switcher",
        "name": "User-Agent Switcher",
        "tags": [],
        "summary_text": "Switch your user agent",
        "categories": "",
        "category_slugs": set(),
        "sites": "",
        "rating": None,
        "free": True,
        "all_sites": False,
    }
    index = LexicalIndex([row])
    assert index.correct("augen") == "agent"  # read as English, the nearest catalogue word would replace it
    assert index.corrected("Meine Augen tun beim Lesen am Abend weh") == "meine augen tun beim lesen am abend weh"
    assert index.corrected("user agnet switcher") == "user agent switcher"


def test_category_filter(demo_catalog):
    results = recommend("dark theme", k=8, filters=Filters(category="privacy-security"))
    assert results and all(any(c.slug == "privacy-security" for c in r.addon.categories.all()) for r in results)


def test_min_rating_free_and_all_sites_filters(demo_catalog):
    rated = recommend("password manager", k=8, filters=Filters(min_rating=4.5))
    assert rated and all(r.addon.rating >= 4.5 for r in rated)
    free = recommend("password manager", k=20, filters=Filters(free_only=True))
    assert "1password-x-password-manager" not in slugs(free)
    assert all(not r.addon.requires_payment for r in free)
    narrow = recommend("block ads", k=10, filters=Filters(no_all_sites=True))
    assert all(not r.addon.needs_all_sites for r in narrow)
    assert not AD_BLOCKERS & set(slugs(narrow))


def test_exclusions_are_never_returned(demo_catalog):
    first = slugs(recommend("block ads", k=3))
    second = slugs(recommend("block ads", k=3, exclude=first))
    assert second and not set(first) & set(second)


def test_inactive_addons_are_never_returned(demo_catalog):
    top = slugs(recommend("block ads", k=1))[0]
    Addon.objects.filter(slug=top).update(is_active=False)  # the index still has it: the database decides
    assert top not in slugs(recommend("block ads", k=10))


def test_fusion_and_prior_arithmetic():
    scores = fuse([(["a", "b"], 1.0), (["b", "c"], 0.5)])
    assert scores["b"] > scores["a"] > scores["c"]
    popular = prior(users=1_000_000, rating=4.8, rating_count=5000)
    unknown = prior(users=None, rating=None, rating_count=None)
    assert 0 <= unknown < popular <= 1


def test_a_means_the_visitor_rules_out_is_not_searched_for(demo_catalog):
    assert "foxyproxy-standard" in slugs(recommend("change my user agent, installing a proxy", k=4))
    ruled_out = slugs(recommend("change my user agent without installing a proxy", k=4))
    assert ruled_out[0] == "user-agent-string-switcher" and "foxyproxy-standard" not in ruled_out


def test_a_wanted_effect_after_without_is_kept(demo_catalog):
    assert slugs(recommend("watch twitch streams without the ads", k=1)) == ["ttv-lol"]  # "twitch_5" without them


def test_the_ranking_loads_only_its_winners_and_agrees_with_scoring_every_candidate(
    demo_catalog, django_assert_max_num_queries
):
    from retrieval.lexical import lexical_index
    from retrieval.recommend import PRIOR_WEIGHT, _ranked, dense_candidates

    index = lexical_index()
    dense = dense_candidates("block ads", filters=Filters(), exclude=frozenset())
    lexical = [hit.slug for hit in index.search("block ads", limit=100, feedback=dense[:10])]
    fused = fuse([(lexical, 0.5), (dense, 1.0)])
    with django_assert_max_num_queries(2):  # the winners and their categories
        ranked = _ranked(fused, index, Filters(), frozenset(), 5)
    everyone = sorted(
        (
            fused[addon.slug]
            * (
                1
                + PRIOR_WEIGHT
                * prior(users=addon.average_daily_users, rating=addon.rating, rating_count=addon.rating_count)
            ),
            addon.slug,
        )
        for addon in Addon.objects.filter(slug__in=fused, is_active=True)
    )
    best = [slug for _, slug in sorted(everyone, key=lambda pair: (-pair[0], pair[1]))[:5]]
    assert [result.addon.slug for result in ranked] == best
