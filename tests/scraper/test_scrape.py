"""`manage.py scrape` against a fake AMO on localhost: politeness, retries, failures that keep work."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from marketplace.models import Addon
from scraper.models import ScrapeRun
from tests.scraper.fake_amo import FakeAmo, Response, detail_page, listing_card, listing_page, serve

pytestmark = pytest.mark.django_db(transaction=True)

CATEGORY_PAGE_1 = "/en-US/firefox/extensions/category/tabs/?sort=users&page=1"
CATEGORY_PAGE_2 = "/en-US/firefox/extensions/category/tabs/?sort=users&page=2"


@pytest.fixture
def amo(settings):
    fake = FakeAmo()
    fake.route("/robots.txt", Response(200, "User-agent: *\nDisallow: /en-US/firefox/addon/secret-tab/\n"))
    with serve(fake) as running:
        settings.AMO_BASE_URL = running.base_url
        settings.SCRAPER_REQUESTS_PER_SECOND = 1000
        settings.SCRAPER_BACKOFF_BASE = 0.01
        settings.SCRAPER_TIMEOUT = 0.5
        settings.SCRAPER_MAX_RETRIES = 2
        yield running


def scrape(*args: str) -> str:
    out = StringIO()
    call_command("scrape", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_scrape_crawls_listing_pages_then_details(amo):
    amo.route(
        CATEGORY_PAGE_1, Response(200, listing_page(listing_card("tab-one", "Tab One"), next_href=CATEGORY_PAGE_2))
    )
    amo.route(CATEGORY_PAGE_2, Response(200, listing_page(listing_card("tab-two", "Tab Two", users="12K users"))))
    amo.route(
        "/en-US/firefox/addon/tab-one/", Response(200, detail_page("tab-one", "Tab One", "<p>All about one.</p>"))
    )
    amo.route("/en-US/firefox/addon/tab-two/", Response(200, detail_page("tab-two", "Tab Two", "<p>Two.</p>")))
    out = scrape("--category", "tabs", "--pages", "3")
    assert "succeeded" in out and "created 2" in out
    one = Addon.objects.get(slug="tab-one")
    assert (one.name, one.rating, one.average_daily_users, one.source) == ("Tab One", 4.5, 1000, "html")
    assert one.description_text == "All about one."
    assert Addon.objects.get(slug="tab-two").average_daily_users == 12000
    assert all("AddonConciergeBot" in agent for _, agent in amo.requests)
    assert amo.paths()[0] == "/robots.txt"


def test_robots_disallowed_detail_page_is_never_fetched(amo):
    amo.route(CATEGORY_PAGE_1, Response(200, listing_page(listing_card("secret-tab", "Secret Tab"))))
    scrape("--category", "tabs")
    assert "/en-US/firefox/addon/secret-tab/" not in amo.paths()
    run = ScrapeRun.objects.get()
    assert run.status == "partial" and "robots" in " ".join(run.errors)
    assert Addon.objects.filter(slug="secret-tab").exists()


def test_429_then_success_is_retried(amo):
    amo.route(
        CATEGORY_PAGE_1,
        Response(429, "slow down", {"Retry-After": "0"}),
        Response(200, listing_page(listing_card("tab-one", "Tab One"))),
    )
    assert "created 1" in scrape("--category", "tabs", "--no-details")
    assert amo.paths().count(CATEGORY_PAGE_1) == 2


def test_timeout_mid_run_keeps_finished_pages_and_records_why(amo):
    amo.route(
        CATEGORY_PAGE_1, Response(200, listing_page(listing_card("tab-one", "Tab One"), next_href=CATEGORY_PAGE_2))
    )
    amo.route(CATEGORY_PAGE_2, Response(200, "late", delay=1.0))
    with pytest.raises(CommandError, match="failed"):
        scrape("--category", "tabs", "--pages", "2", "--no-details")
    run = ScrapeRun.objects.get()
    assert run.status == "failed" and "timeout" in run.failure.lower()
    assert run.created == 1 and run.finished_at is not None
    assert Addon.objects.filter(slug="tab-one").exists()


def test_from_html_dry_run_prints_json_and_stores_nothing(tmp_path):
    (tmp_path / "listing.html").write_text(
        listing_page(listing_card("tab-one", "Tab One"), listing_card("tab-two", "Tab Two"))
    )
    (tmp_path / "junk.html").write_bytes(b"\x00\xff<html><div class='SearchResult'")
    out = scrape("--from-html", str(tmp_path), "--dry-run", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["slug"] for row in rows] == ["tab-one", "tab-two"]
    assert {"slug", "name", "url", "icon_url", "summary", "users", "rating", "rating_count"} <= rows[0].keys()
    assert rows[0]["users"] == 1000 and rows[0]["rating"] == 4.5
    assert not Addon.objects.exists() and not ScrapeRun.objects.exists()


def test_from_html_without_dry_run_stores_and_records(tmp_path):
    page = tmp_path / "listing.html"
    page.write_text(listing_page(listing_card("tab-one", "Tab One")))
    assert "created 1" in scrape("--from-html", str(page))
    assert ScrapeRun.objects.get().kind == "html"


def test_from_html_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        scrape("--from-html", str(tmp_path / "nope"), "--dry-run")
