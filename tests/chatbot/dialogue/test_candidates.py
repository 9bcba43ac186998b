from __future__ import annotations

import json

import pytest

from chatbot.dialogue.candidates import Candidate, site_key, sites_from_permissions
from tests.chatbot.dialogue.fakes import CATALOGUE


def test_sites_come_from_named_hosts_only():
    patterns = ["storage", "<all_urls>", "*://*/*", "https://*/*", "*://*.youtube.com/*", "https://www.youtube.com/*",
                "https://mail.google.com/*", "file:///*", "http://localhost:8080/*", "http://127.0.0.1/*",
                "https://user@tetr.io:443/play"]
    assert sites_from_permissions(patterns) == ("youtube.com", "mail.google.com", "tetr.io")


@pytest.mark.parametrize("domain, key", [
    ("youtube.com", "youtube"), ("mail.google.com", "google"), ("google.co.uk", "google"), ("tetr.io", "tetr"),
])
def test_site_key_is_the_name_a_domain_goes_by(domain, key):
    assert site_key(domain) == key


@pytest.mark.parametrize("license, expected", [
    ("MIT", True), ("GPL-3.0-only", True), ("Mozilla Public License 2.0", True), ("BSD 2-Clause", True),
    ("Apache License 2.0", True), ("All Rights Reserved", False), ("", False), ("Custom License", False),
])
def test_open_source_licences_are_recognised(license, expected):
    assert Candidate("x", "X", "", license=license).open_source is expected


def test_a_candidate_round_trips_through_json():
    for item in CATALOGUE:
        assert Candidate.from_dict(json.loads(json.dumps(item.to_dict()))) == item
