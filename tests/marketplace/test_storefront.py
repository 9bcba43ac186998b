"""The demo storefront lists categories and popular add-ons and escapes catalogue text."""

from __future__ import annotations

import pytest

from marketplace.records import AddonRecord
from marketplace.services import addon_upsert, addons_upsert

pytestmark = pytest.mark.django_db


def test_storefront_lists_popular_addons_and_categories(client):
    addons_upsert(
        records=[
            AddonRecord(slug="big-one", name="Big One", categories=["tabs"], average_daily_users=9000),
            AddonRecord(slug="small-one", name="Small One", categories=["appearance"], average_daily_users=10),
        ]
    )
    page = client.get("/").content.decode()
    assert page.index("Big One") < page.index("Small One")
    assert "Tabs" in page and "Appearance" in page
    assert "9,000 users" in page
    filtered = client.get("/", {"category": "appearance"}).content.decode()
    assert "Small One" in filtered and "Big One" not in filtered


def test_storefront_escapes_text(client):
    addon_upsert(record=AddonRecord(slug="sneaky", name="Sneaky", summary="&lt;img src=x onerror=alert(1)&gt;"))
    page = client.get("/").content.decode()
    assert "<img src=x onerror" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_empty_storefront_says_how_to_fill_it(client):
    assert "load_demo_catalog" in client.get("/").content.decode()


def test_storefront_embeds_the_widget_like_a_third_party_site(client, settings):
    settings.ALLOWED_HOSTS = ["shop.example.org"]
    page = client.get("/", HTTP_HOST="shop.example.org:8000").content.decode()
    tag = (
        '<script src="http://shop.example.org:8000/static/chatbot/widget.js" '
        'data-server="http://shop.example.org:8000" async></script>'
    )
    assert tag in page
