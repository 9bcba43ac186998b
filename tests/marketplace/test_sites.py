"""Sites from permission patterns: one reading for the index's "Works on" and the dialogue's site question."""

from __future__ import annotations

import pytest

from marketplace.sites import needs_all_sites, site_domains, site_name, site_names

PATTERNS = [
    "storage",
    "<all_urls>",
    "*://*.roblox.com/*",
    "https://www.google.co.uk/*",
    "*://*.google.de/*",
    "http://127.0.0.1/*",
    "http://localhost:8080/*",
    "file:///*",
    "*://*/*",
    "https://*/*",
    "https://codeforces.com/contest/*",
    "https://m.youtube.com/*",
    "https://user@tetr.io:443/play",
    "https://mail.google.com/*",
]


def test_domains_come_from_named_hosts_only():
    assert site_domains(PATTERNS) == (
        "roblox.com",
        "google.co.uk",
        "google.de",
        "codeforces.com",
        "youtube.com",
        "tetr.io",
        "mail.google.com",
    )


def test_names_fold_country_domains_and_subdomains_together():
    assert site_names(PATTERNS) == ["roblox", "google", "codeforces", "youtube", "tetr"]
    assert site_names(["tabs", "https://*/*", "<all_urls>"]) == []


@pytest.mark.parametrize(
    "domain, name",
    [
        ("youtube.com", "youtube"),
        ("mail.google.com", "google"),
        ("google.co.uk", "google"),
        ("tetr.io", "tetr"),
        ("google.com.br", "google"),
        ("example.ne.jp", "example"),
        ("api.github.io", "github"),
    ],
)
def test_a_domain_goes_by_its_registered_name(domain, name):
    assert site_name(domain) == name


def test_blanket_patterns_mean_every_site():
    assert needs_all_sites(["storage", "<all_urls>"]) and needs_all_sites(["*://*/*"])
    assert not needs_all_sites(["https://*.youtube.com/*", "tabs"])
