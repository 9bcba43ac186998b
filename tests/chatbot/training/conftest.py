"""A small catalogue in the database, a private training folder, and no cached serving version between tests."""
from __future__ import annotations

import pytest

from chatbot.training.selectors import model_version_serving_forget
from marketplace.services import addons_upsert
from scraper.amo_api import record_from_api
from tests.factories import api_addon

ADDONS = [
    ("night-shade", "Night Shade", "Dark mode for every website, easy on the eyes at night.",
     ["appearance"], ["dark mode", "night"], False),
    ("sun-filter", "Sun Filter", "Dims bright pages and warms the colours after sunset.",
     ["appearance"], ["brightness"], False),
    ("theme-mixer", "Theme Mixer", "Pick colours for the toolbar, tabs and menus.", ["appearance"], [], True),
    ("tab-keeper", "Tab Keeper", "Save open tabs as sessions and restore them after a crash.",
     ["tabs"], ["sessions"], False),
    ("tab-sorter", "Tab Sorter", "Sorts your tabs by site, title or last visit.", ["tabs"], [], False),
    ("tab-freezer", "Tab Freezer", "Unloads idle tabs to free memory on slow computers.", ["tabs"], ["memory"], False),
    ("ad-sweeper", "Ad Sweeper", "Blocks ads, pop-ups and trackers on video sites.",
     ["privacy-security"], ["ads", "trackers"], False),
    ("pass-vault", "Pass Vault", "Stores passwords securely and fills in login forms.",
     ["privacy-security"], ["passwords"], True),
]


@pytest.fixture(autouse=True)
def training_dir(settings, tmp_path):
    settings.TRAINING_DIR = tmp_path / "training"
    model_version_serving_forget()
    yield settings.TRAINING_DIR
    model_version_serving_forget()


@pytest.fixture
def catalogue(db):
    records = [
        record_from_api(api_addon(slug, name={"en-US": name}, summary={"en-US": summary}, categories=categories,
                                  tags=tags, requires_payment=paid), source="api")
        for slug, name, summary, categories, tags, paid in ADDONS
    ]
    addons_upsert(records=records)
    return ADDONS
