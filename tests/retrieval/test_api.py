"""GET /api/recommend: the documented shape, filters passed through, and 400s with JSON errors."""

from __future__ import annotations

import pytest

CARD_FIELDS = {
    "slug",
    "name",
    "summary",
    "icon_url",
    "url",
    "rating",
    "rating_count",
    "users",
    "free",
    "sites",
    "categories",
    "score",
    "reason",
}


def test_recommend_returns_cards_with_score_and_reason(client, demo_catalog):
    body = client.get("/api/recommend", {"q": "block ads", "k": 3}).json()
    assert body["query"] == "block ads"
    assert len(body["results"]) == 3
    first = body["results"][0]
    assert set(first) == CARD_FIELDS
    assert first["url"].startswith("https://addons.mozilla.org/") and first["reason"]
    assert body["results"][0]["score"] >= body["results"][-1]["score"]


def test_filters_and_exclusions_pass_through(client, demo_catalog):
    first = client.get("/api/recommend", {"q": "password manager", "k": 2}).json()["results"]
    shown = ",".join(card["slug"] for card in first)
    body = client.get(
        "/api/recommend",
        {
            "q": "password manager",
            "k": 5,
            "exclude": shown,
            "free": "1",
            "min_rating": "4",
            "no_all_sites": "0",
            "category": "privacy-security",
        },
    ).json()
    assert body["results"]
    for card in body["results"]:
        assert card["slug"] not in shown.split(",")
        assert card["rating"] >= 4
        assert "privacy-security" in [category["slug"] for category in card["categories"]]


@pytest.mark.parametrize(
    "params, message",
    [
        ({}, "q is required"),
        ({"q": "   "}, "q is required"),
        ({"q": "x" * 1001}, "longer than 1000"),
        ({"q": "ads", "k": "abc"}, "k must be a number"),
        ({"q": "ads", "k": "0"}, "between 1 and 50"),
        ({"q": "ads", "k": "500"}, "between 1 and 50"),
        ({"q": "ads", "min_rating": "6"}, "min_rating must be between"),
        ({"q": "ads", "free": "maybe"}, "free must be 1 or 0"),
        ({"q": "ads", "no_all_sites": "2"}, "no_all_sites must be 1 or 0"),
        ({"q": "ads", "category": "no-such-category"}, "unknown category"),
        ({"q": "ads", "exclude": "ok,<script>"}, "comma-separated slugs"),
    ],
)
def test_bad_parameters_get_400_with_a_json_error(client, db, params, message):
    response = client.get("/api/recommend", params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_request" and message in error["message"]


def test_only_get_is_allowed(client, db):
    assert client.post("/api/recommend", {"q": "ads"}).status_code == 405


def test_one_client_is_throttled_and_told_when_to_come_back(client, settings, demo_catalog):
    settings.API_RATE_LIMIT, settings.API_RATE_WINDOW = 3, 60
    codes = [client.get("/api/recommend", {"q": "block ads"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = client.get("/api/recommend", {"q": "block ads"})
    assert refused.json()["error"]["code"] == "rate_limited" and refused["Retry-After"] == "60"
    other = client.get("/api/recommend", {"q": "block ads"}, REMOTE_ADDR="198.51.100.9")
    assert other.status_code == 200
