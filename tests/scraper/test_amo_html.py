"""scraper.amo_html against hand-written pages that imitate AMO's React markup."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraper.amo_html import next_page_url, parse_page

FIXTURES = Path(__file__).parent / "fixtures"
CATEGORY_URL = "https://addons.mozilla.org/en-US/firefox/extensions/category/privacy-security/"
SEARCH_URL = "https://addons.mozilla.org/en-US/firefox/search/?q=tab"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def by_slug(records):
    return {record.slug: record for record in records}


# --- category listing ------------------------------------------------------------------


def test_category_listing_returns_every_card_in_page_order():
    records = parse_page(load("category_listing.html"), page_url=CATEGORY_URL)
    assert [r.slug for r in records] == ["tracker-trap", "cookie-jar", "bare-bones", "password-keeper", "café-privé"]
    assert all(r.source == "html" for r in records)


def test_category_listing_card_values():
    records = by_slug(parse_page(load("category_listing.html"), page_url=CATEGORY_URL))
    trap = records["tracker-trap"]
    assert trap.name == "Tracker Trap"
    assert trap.summary == "Blocks trackers &amp; fingerprinting scripts."
    assert trap.icon_url == "https://addons.mozilla.org/user-media/addon_icons/1/1001-64.png?modified=1"
    assert trap.url == "https://addons.mozilla.org/en-US/firefox/addon/tracker-trap/"  # tracking query dropped
    assert trap.average_daily_users == 1234
    assert trap.rating == 4.5
    assert trap.rating_count == 1234
    assert trap.promoted is True

    jar = records["cookie-jar"]
    assert jar.average_daily_users == 12000  # "12K users"
    assert jar.rating == 3.9 and jar.rating_count is None
    assert jar.icon_url == "https://addons.mozilla.org/user-media/addon_icons/1/1002-64.png"
    assert jar.promoted is False

    keeper = records["password-keeper"]
    assert keeper.average_daily_users == 1_500_000  # "1.5M users"
    assert keeper.rating == 4.0
    assert keeper.summary == "Your passwords, <em>encrypted</em>."

    cafe = records["café-privé"]
    assert cafe.name == "Café Privé"  # nested markup flattened, slug percent-decoded
    assert cafe.average_daily_users == 987


def test_card_without_icon_or_rating():
    bare = by_slug(parse_page(load("category_listing.html"), page_url=CATEGORY_URL))["bare-bones"]
    assert bare.name == "Bare Bones"
    assert bare.icon_url == ""
    assert bare.rating is None and bare.rating_count is None
    assert bare.average_daily_users == 0  # "No users"


def test_summary_keeps_raw_html_for_the_sanitiser():
    """Parsers do not sanitise: the services run nh3, so the hostile markup must reach them."""
    jar = by_slug(parse_page(load("category_listing.html")))["cookie-jar"]
    assert "onerror" in jar.summary and "<img" in jar.summary
    assert jar.name == "Cookie Jar"


def test_without_page_url_root_relative_links_resolve_to_amo():
    jar = by_slug(parse_page(load("category_listing.html")))["cookie-jar"]
    assert jar.url == "https://addons.mozilla.org/en-US/firefox/addon/cookie-jar/"
    assert jar.icon_url == "https://addons.mozilla.org/user-media/addon_icons/1/1002-64.png"


def test_saved_page_root_relative_links_still_point_at_amo():
    page_url = (FIXTURES / "category_listing.html").as_uri()
    jar = by_slug(parse_page(load("category_listing.html"), page_url=page_url))["cookie-jar"]
    assert jar.url == "https://addons.mozilla.org/en-US/firefox/addon/cookie-jar/"
    assert jar.icon_url == "https://addons.mozilla.org/user-media/addon_icons/1/1002-64.png"


def test_next_page_url_from_paginator():
    html = load("category_listing.html")
    assert next_page_url(html, page_url=CATEGORY_URL) == CATEGORY_URL + "?page=2&sort=users"
    assert next_page_url(html, page_url="") == CATEGORY_URL + "?page=2&sort=users"


def test_next_page_url_none_when_disabled_or_absent():
    assert next_page_url(load("search_results.html"), page_url=SEARCH_URL) is None  # last page: disabled
    assert next_page_url(load("detail_recommended.html"), page_url="") is None
    assert next_page_url(load("empty.html"), page_url="") is None


def test_next_page_url_falls_back_to_head_link():
    html = '<html><head><link rel="next" href="?page=3"></head><body></body></html>'
    assert next_page_url(html, page_url=SEARCH_URL) == "https://addons.mozilla.org/en-US/firefox/search/?page=3"


# --- search results + state enrichment -------------------------------------------------


def test_search_results_deduplicate_and_merge_by_slug():
    records = parse_page(load("search_results.html"), page_url=SEARCH_URL)
    assert [r.slug for r in records] == ["tab-stash", "tree-tabs"]
    stash = records[0]
    assert stash.summary == "Stash your tabs for later."  # from the second, richer card
    assert stash.icon_url == "https://addons.cdn.mozilla.net/user-media/addon_icons/2/2001-64.png"  # from the first


def test_state_enriches_dom_records_but_dom_wins():
    stash = parse_page(load("search_results.html"), page_url=SEARCH_URL)[0]
    # DOM values stay ...
    assert stash.name == "Tab Stash"
    assert stash.rating == 4.8
    assert stash.rating_count == 2100  # "(2.1K)"
    assert stash.average_daily_users == 45678
    # ... and the state fills what the cards do not show.
    assert stash.amo_id == 2001
    assert stash.guid == "tab-stash@example.org"
    assert stash.version == "3.1"
    assert stash.license == "Mozilla Public License 2.0"
    assert stash.categories == ["tabs"]
    assert stash.tags == ["tabs", "productivity"]
    assert stash.permissions == ["tabs", "storage"]
    assert stash.last_updated == datetime(2024, 1, 5, 10, 0, tzinfo=UTC)
    assert stash.source == "html"


def test_state_addons_missing_from_the_dom_are_not_reported():
    slugs = [r.slug for r in parse_page(load("search_results.html"), page_url=SEARCH_URL)]
    assert "not-on-this-page" not in slugs


def test_state_rendered_for_another_url_is_ignored():
    html = load("search_results.html").replace(
        b'"pathname": "/en-US/firefox/search/"', b'"pathname": "/en-US/firefox/"'
    )
    stash = parse_page(html, page_url=SEARCH_URL)[0]
    assert stash.amo_id is None and stash.guid == "" and stash.version == ""


# --- detail page -----------------------------------------------------------------------


def test_detail_page_own_addon_first_then_recommendations():
    records = parse_page(load("detail_recommended.html"))
    assert [r.slug for r in records] == ["dark-reader-lite", "night-shift", "contrast-boost"]


def test_detail_page_values():
    addon = parse_page(load("detail_recommended.html"))[0]
    assert addon.name == "Dark Reader Lite"  # author span stripped, <em> flattened
    assert addon.amo_id == 31337
    assert addon.url == "https://addons.mozilla.org/en-US/firefox/addon/dark-reader-lite/"
    assert addon.summary == "Dark mode for every website. Take care of your eyes &amp; battery."
    assert addon.description.startswith("Dark Reader Lite <b>inverts</b> bright colours.<br/>")
    assert '<a href="https://example.com/track">tracking</a>' in addon.description
    assert addon.icon_url == "https://addons.mozilla.org/user-media/addon_icons/31/31337-64.png?modified=abc"
    assert addon.promoted is True
    assert addon.requires_payment is False
    assert addon.average_daily_users == 1_048_576
    assert addon.rating == 4.6
    assert addon.rating_count == 8765
    assert addon.version == "4.9.1"
    assert addon.license == "MIT License"
    assert addon.homepage == "https://darkreader.example.org/home"
    assert addon.categories == ["appearance", "privacy-security"]
    assert addon.tags == ["dark mode", "accessibility"]
    assert addon.permissions == ["storage"]  # optional permissions are not required ones
    assert addon.host_permissions == ["<all_urls>"]
    assert addon.last_updated == datetime(2024, 3, 2, 8, 15, tzinfo=UTC)


def test_detail_recommendation_cards():
    cards = by_slug(
        parse_page(
            load("detail_recommended.html"), page_url="https://addons.mozilla.org/en-US/firefox/addon/dark-reader-lite/"
        )
    )
    assert cards["night-shift"].name == "Night Shift"
    assert cards["night-shift"].average_daily_users == 22222
    assert cards["night-shift"].rating == 4.2
    assert cards["night-shift"].promoted is False  # the page's Recommended badge is not the card's
    assert cards["contrast-boost"].average_daily_users == 3400  # "3.4K users"
    assert cards["contrast-boost"].icon_url == "https://addons.mozilla.org/user-media/addon_icons/5/5002-64.png"


def test_detail_slug_comes_from_page_url_when_dom_and_head_lack_it():
    html = (
        '<div class="Addon" data-site-identifier="5"><h1 class="AddonTitle">Solo'
        '<span class="AddonTitle-author"> by <a href="/en-US/firefox/user/1/">Me</a></span></h1>'
        '<dl class="MetadataCard-list"><dd>1</dd><dt>Users</dt></dl></div>'
    )
    assert parse_page(html) == []  # no address at all: nothing to key the record by
    [solo] = parse_page(html, page_url="https://addons.mozilla.org/en-US/firefox/addon/solo/?src=search")
    assert (solo.slug, solo.name, solo.amo_id) == ("solo", "Solo", 5)
    assert solo.url == "https://addons.mozilla.org/en-US/firefox/addon/solo/"


def test_experimental_and_payment_badges():
    html = (
        '<link rel="canonical" href="https://addons.mozilla.org/en-US/firefox/addon/paid/">'
        '<div class="Addon"><h1 class="AddonTitle">Paid</h1><div class="AddonBadges">'
        '<div class="Badge Badge-experimental">Experimental</div>'
        '<div class="Badge Badge-requires-payment">Some features may require payment</div></div></div>'
    )
    [paid] = parse_page(html)
    assert paid.promoted is False
    assert paid.requires_payment is True


# --- state only ------------------------------------------------------------------------


def test_state_only_page_uses_the_embedded_state():
    records = parse_page(load("state_only.html"))
    assert [r.slug for r in records] == ["tab-counter", "tab-sorter"]  # the slug-less entry is dropped
    counter = records[0]
    assert counter.name == "Tab Counter"
    assert counter.amo_id == 7001
    assert counter.guid == "{c0ffee00-0000-4000-8000-000000007001}"
    assert counter.description == "Counts <b>tabs</b>. <script>alert(1)</script>"
    assert counter.average_daily_users == 5120
    assert (counter.rating, counter.rating_count) == (4.25, 88)
    assert counter.version == "1.0.3"
    assert counter.homepage == "https://tabcounter.example.com"
    assert counter.host_permissions == ["*://*.example.com/*"]
    assert counter.promoted is True
    assert counter.source == "html"
    assert records[1].name == "Tab Sorter"


def test_state_only_page_for_another_url_yields_nothing():
    other = "https://addons.mozilla.org/en-US/firefox/addon/something-else/"
    html = load("state_only.html").replace(
        b"/en-US/firefox/extensions/category/tabs/", b"/en-US/firefox/addon/something-else/x/", 1
    )
    assert parse_page(html, page_url=other) == []


# --- broken input ----------------------------------------------------------------------


def test_truncated_listing_keeps_the_complete_cards():
    records = parse_page(load("truncated_listing.html"), page_url=CATEGORY_URL)
    assert [r.slug for r in records] == ["tracker-trap", "cookie-jar"]  # third card cut inside its link
    assert records[1].average_daily_users == 12000
    assert next_page_url(load("truncated_listing.html"), page_url=CATEGORY_URL) is None


def test_malformed_page_yields_what_it_can():
    records = parse_page(load("malformed.html"))
    assert [r.slug for r in records] == ["half-open"]
    assert records[0].name == "Half Open"
    assert records[0].rating is None  # "Rated banana out of 5"


def test_empty_file():
    assert parse_page(load("empty.html")) == []
    assert parse_page("") == []


@pytest.mark.parametrize(
    "junk",
    [
        b"\x00\x01\xff\xfe" * 64,
        os.urandom(4096),
        "\x00<html><body>\x00",
        "<",
        "<!--",
        "<html><head><title>never closed",
        '<div class="SearchResult">' * 1000,
        '<script id="redux-store-state" type="application/json">[[[[[[[[[[' * 50 + "</script>",
        '<script id="redux-store-state" type="application/json">' + "[" * 100_000 + "</script>",
    ],
)
def test_junk_never_raises(junk):
    assert isinstance(parse_page(junk), list)
    assert next_page_url(junk, page_url="https://addons.mozilla.org/") is None


def test_absurd_numbers_do_not_cost_the_card():
    html = (
        '<li class="SearchResult"><a class="SearchResult-link" href="/addon/x/">X</a>'
        '<span class="SearchResult-users-text">' + "9" * 400 + "K users</span>"
        '<div class="Rating" title="Rated 1.2.3 out of 5"></div></li>'
    )
    [card] = parse_page(html)
    assert (card.slug, card.name, card.average_daily_users) == ("x", "X", None)


def test_no_page_reads_as_no_addons_and_a_wrong_type_is_the_callers_bug():
    assert parse_page(None) == [] and parse_page(b"") == []  # type: ignore[arg-type]
    with pytest.raises(TypeError):  # a parser that swallowed this would hide a caller's bug
        parse_page(123)  # type: ignore[arg-type]


def test_an_unreadable_card_is_skipped_and_logged_while_a_parser_bug_raises(monkeypatch, caplog):
    from scraper import amo_html

    real = amo_html._card_record
    slugs = [record.slug for record in parse_page(load("category_listing.html"), page_url=CATEGORY_URL)]

    def mangled(card, addresses, base):
        record = real(card, addresses, base)
        if record is not None and record.slug == slugs[1]:
            raise ValueError("a card AMO never wrote")
        return record

    monkeypatch.setattr(amo_html, "_card_record", mangled)
    with caplog.at_level("WARNING", logger="scraper.amo_html"):
        kept = [record.slug for record in parse_page(load("category_listing.html"), page_url=CATEGORY_URL)]
    assert kept == slugs[:1] + slugs[2:] and "skipping an unreadable add-on block" in caplog.text

    def buggy(card, addresses, base):
        raise NameError("a typo in the parser")

    monkeypatch.setattr(amo_html, "_card_record", buggy)
    with pytest.raises(NameError):
        parse_page(load("category_listing.html"), page_url=CATEGORY_URL)
