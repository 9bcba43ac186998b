"""scraper.amo_html against a real AMO detail page (Binance Wallet) saved by a browser in 2022.

The page is not part of this repository: it lives in the shared datasets next to the repo.
Its embedded redux state is the *home* page's (router pathname "/en-US/firefox/"), so none
of that state may show up in the result.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraper.amo_html import next_page_url, parse_page

PAGE = Path(__file__).resolve().parents[3] / "shared/datasets/amo-pages/binance-chain-detail.html"
ASSETS = "Binance%20Wallet%20%E2%80%93%20Get%20this%20Extension%20for%20%F0%9F%A6%8A%20Firefox%20(en-US)_files/"

pytestmark = pytest.mark.skipif(not PAGE.exists(), reason=f"real AMO page not available at {PAGE}")


@pytest.fixture(scope="module")
def records():
    return parse_page(PAGE.read_bytes())


def test_the_page_addon_then_exactly_the_four_recommendations(records):
    assert [r.slug for r in records] == [
        "binance-chain",
        "new-tab-override",
        "search_by_image",
        "ublock-origin",
        "enhancer-for-youtube",
    ]
    assert all(r.source == "html" for r in records)


def test_binance_wallet_detail(records):
    wallet = records[0]
    assert wallet.slug == "binance-chain"
    assert wallet.name == "Binance Wallet"  # without " by Binance Chain"
    assert wallet.amo_id == 2657087
    assert wallet.url == "https://addons.mozilla.org/en-US/firefox/addon/binance-chain/"
    assert wallet.summary == "A Crypto Wallet for Binance Chain, Binance Smart Chain and Ethereum"
    assert wallet.description.startswith("A Crypto Wallet for Binance Chain, Binance Smart Chain and Ethereum<br/>")
    assert "requires the permission to access any webpage." in wallet.description
    assert wallet.icon_url == ASSETS + "2657087-64.png"  # the browser rewrote it to a local file
    assert wallet.average_daily_users == 37202
    assert wallet.rating == 4.1
    assert wallet.rating_count == 365
    assert wallet.version == "2.13.0"
    assert wallet.license == "All Rights Reserved"
    assert wallet.homepage == "https://binance.org"
    assert wallet.categories == ["other"]
    assert wallet.tags == []  # the 2022 page shows no tags
    assert wallet.last_updated == datetime(2022, 4, 19, 6, 24, 3, tzinfo=UTC)
    assert wallet.permissions == ["clipboardWrite", "tabs"]
    assert wallet.host_permissions == ["<all_urls>"]
    assert wallet.promoted is False  # its only badge is "Experimental"
    assert wallet.requires_payment is False


def test_recommendation_cards(records):
    cards = [(r.slug, r.name, r.icon_url, r.average_daily_users, r.rating, r.promoted) for r in records[1:]]
    assert cards == [
        ("new-tab-override", "New Tab Override", ASSETS + "626810-64.png", 68745, 4.3, True),
        ("search_by_image", "Search by Image", ASSETS + "824288-64.png", 204843, 4.6, True),
        ("ublock-origin", "uBlock Origin", ASSETS + "607454-64.png", 5455689, 4.8, True),
        ("enhancer-for-youtube", "Enhancer for YouTube™", ASSETS + "700308-64.png", 662593, 4.7, True),
    ]
    assert records[3].url == "https://addons.mozilla.org/en-US/firefox/addon/ublock-origin/"


def test_home_page_state_does_not_leak(records):
    # The state lists home shelves (e.g. weather-extension, and ublock-origin itself);
    # none may appear, nor enrich the cards that happen to share a slug.
    assert "weather-extension" not in {r.slug for r in records}
    for card in records[1:]:
        assert (card.amo_id, card.guid, card.version, card.summary, card.categories) == (None, "", "", "", [])


def test_icons_resolve_against_the_page_url_when_given():
    page_url = "https://addons.mozilla.org/en-US/firefox/addon/binance-chain/"
    wallet = parse_page(PAGE.read_text(encoding="utf-8"), page_url=page_url)[0]
    assert wallet.icon_url == page_url + ASSETS + "2657087-64.png"


def test_as_imported_from_disk_with_a_file_uri():
    """How the saved-pages import calls it: icons point at the browser's saved files."""
    records = parse_page(PAGE.read_bytes(), page_url=PAGE.as_uri())
    assert [r.slug for r in records][:2] == ["binance-chain", "new-tab-override"]
    assert records[0].icon_url == PAGE.parent.as_uri() + "/" + ASSETS + "2657087-64.png"
    assert records[0].url == "https://addons.mozilla.org/en-US/firefox/addon/binance-chain/"
    assert records[1].url == "https://addons.mozilla.org/en-US/firefox/addon/new-tab-override/"


def test_no_next_page_on_a_detail_page():
    assert (
        next_page_url(PAGE.read_bytes(), page_url="https://addons.mozilla.org/en-US/firefox/addon/binance-chain/")
        is None
    )
