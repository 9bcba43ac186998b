"""AMO HTML pages (detail, listing, search, category) -> AddonRecords.

AMO renders with React, so a page carries the data twice: in the DOM and, sometimes, as
the redux state JSON. The DOM is what the visitor saw, so it is primary; the state only
fills gaps, because a saved page may carry another page's state. Scraped pages arrive
truncated, mangled or empty, so one unreadable card costs only itself (and is logged); a page
that yields nothing is an empty list. A bug in the parser itself is not hidden: it raises.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urljoin, urlparse

from bs4 import BeautifulSoup, Tag

from marketplace.records import AddonRecord, AddonSource
from scraper.amo_api import RecordError, record_from_api

log = logging.getLogger(__name__)

AMO_ROOT = "https://addons.mozilla.org/"
PROMOTED_LABELS = ("recommended", "by firefox", "verified", "sponsored")
MAX_CARDS = 100  # AMO shows at most 50 a page; hostile nesting would otherwise cost O(n^2)
_SLUG_RE = re.compile(r"/addon/([^/?#]+)")
_NUMBER_RE = re.compile(r"(\d(?:[\d,.\u00a0\u202f]*\d)?)(?:\s*([KkMm])\b)?")
_RATING_RE = re.compile(r"(\d(?:[.,]\d+)?)\s*(?:out of|stars?)", re.I)
_DATE_RE = re.compile(r"\b([A-Z][a-z]{2})[a-z]*\.? (\d{1,2}), (\d{4})\b")
_EMPTY: tuple[Any, ...] = (None, "", [])
# What mangled markup makes the readers below raise: missing children, odd attribute values, bad numbers.
UNREADABLE = (AttributeError, TypeError, ValueError, KeyError, IndexError)


def parse_page(html: str | bytes, *, page_url: str = "") -> list[AddonRecord]:
    """Every add-on on the page: the detail add-on first, then the cards in page order.

    A crawler feeds this whatever the network (or a user's disk) returned: a block whose markup is not
    what AMO writes is skipped with a warning, and the rest of the page still counts.
    """
    soup = BeautifulSoup(html or "", "lxml")
    addresses = _page_addresses(soup, page_url)
    jobs = [(_detail_record, soup)] + [(_card_record, card) for card in soup.select(".SearchResult", limit=MAX_CARDS)]
    found: dict[str, AddonRecord] = {}
    for read, node in jobs:
        try:
            record = read(node, addresses, page_url)
        except UNREADABLE:
            log.warning("skipping an unreadable add-on block on %s", page_url or "(no url)", exc_info=True)
            continue
        if record is not None:
            found[record.slug] = _merge(found[record.slug], record) if record.slug in found else record
    state = _state_records(soup, addresses)
    if not found:
        return list(state.values())
    return [_merge(rec, state[rec.slug]) if rec.slug in state else rec for rec in found.values()]


def next_page_url(html: str | bytes, *, page_url: str) -> str | None:
    """The paginator's "Next" link as an absolute URL, so a crawler can walk a listing."""
    soup = BeautifulSoup(html or "", "lxml")
    try:
        for link in soup.select('[class*="Paginat"] a[href]'):
            classes = _attr(link, "class").lower()
            if "next" in classes or _text(link).lower().startswith("next"):
                disabled = "disabled" in classes or link.get("aria-disabled") == "true"
                return None if disabled else _absolute(_attr(link, "href"), page_url or AMO_ROOT)
        head = soup.select_one('link[rel~="next"][href]')
        return _absolute(_attr(head, "href"), page_url or AMO_ROOT) if head else None
    except ValueError:  # a link no URL parser accepts ("http://[bad")
        log.warning("unreadable next-page link on %s", page_url or "(no url)", exc_info=True)
        return None


# --- DOM ------------------------------------------------------------------------------


def _detail_record(soup: Tag, addresses: list[str], base: str) -> AddonRecord | None:
    """The page's own add-on: only detail pages have an AddonTitle."""
    title = soup.select_one(".AddonTitle")
    if title is None:
        return None
    root = soup.select_one(".Addon") or soup
    own_links = [
        _attr(a, "href")
        for a in root.select(".AddonMeta a[href], .Addon-all-reviews-link[href], .AddonMoreInfo a[href*='/addon/']")
    ]
    slug = next(filter(None, map(_slug_from, own_links + addresses)), "")
    if not slug:
        return None
    title = copy.copy(title)  # leave the soup intact for the cards
    for author in title.select(".AddonTitle-author"):
        author.decompose()
    badges = root.select_one(".AddonBadges") or root.select_one(".Addon-header")
    site_id = _attr(root, "data-site-identifier")
    record = AddonRecord(
        slug=slug,
        name=_text(title),
        summary=_html(root.select_one(".Addon-summary")),
        description=_html(root.select_one(".AddonDescription-contents")),
        amo_id=int(site_id) if site_id.isdigit() else None,
        icon_url=_absolute(_attr(root.select_one(".Addon-icon img, img.Addon-icon-image"), "src"), base),
        url=next((_clean_url(a) for a in addresses if _slug_from(a) == slug), ""),
        source=AddonSource.HTML,
        promoted=_promoted(badges),
        requires_payment=_requires_payment(badges),
    )
    _read_meta(root, record)
    _read_more_info(root, record, soup)
    _read_permissions(root, record)
    return record


def _card_record(card: Tag, addresses: list[str], base: str) -> AddonRecord | None:
    """One listing, search or recommendation card (AMO's SearchResult component)."""
    link = card.select_one("a.SearchResult-link[href]") or card.select_one("a[href*='/addon/']")
    slug = _slug_from(_attr(link, "href"))
    if not slug:
        return None
    rating_box = card.select_one(".SearchResult-rating")
    count = re.search(r"\(\s*([\d.,]+\s*[KkMm]?)\s*\)", _text(rating_box))
    return AddonRecord(
        slug=slug,
        name=_text(link) or _text(card.select_one(".SearchResult-name")),
        summary=_html(card.select_one(".SearchResult-summary")),
        icon_url=_absolute(_attr(card.select_one("img.SearchResult-icon, .SearchResult-icon img"), "src"), base),
        url=_clean_url(_absolute(_attr(link, "href"), base)),
        average_daily_users=_count(_text(card.select_one(".SearchResult-users-text, .SearchResult-users"))),
        rating=_rating(_attr(card.select_one(".Rating[title]"), "title") or _text(rating_box)),
        rating_count=_count(count.group(1)) if count else None,
        source=AddonSource.HTML,
        promoted=_promoted(card),
        requires_payment=_requires_payment(card),
    )


def _read_meta(root: Tag, record: AddonRecord) -> None:
    """AddonMeta: <dl> pairs of value and label ("37,202" Users, "365" Reviews, "4.1 Stars")."""
    meta = root.select_one(".AddonMeta")
    if meta is None:
        return
    for group in meta.select("dl"):
        label, value = _text(group.select_one("dt")).lower(), _text(group.select_one("dd"))
        if "user" in label:
            record.average_daily_users = _count(value)
        elif "review" in label:
            record.rating_count = _count(value)
    record.rating = _rating(_attr(meta.select_one(".Rating[title]"), "title") or _text(meta))
    if record.rating_count is None:
        record.rating_count = _count(_text(root.select_one(".Addon-all-reviews-link")))


def _read_more_info(root: Tag, record: AddonRecord, soup: Tag) -> None:
    """AddonMoreInfo: version, last updated, license, homepage, categories and tags."""
    info = root.select_one(".AddonMoreInfo") or root
    record.version = _text(info.select_one(".AddonMoreInfo-version"))
    record.license = _text(info.select_one(".AddonMoreInfo-license-name, .AddonMoreInfo-license"))
    homepage = info.select_one("a.AddonMoreInfo-homepage-link")
    # AMO wraps external links as outgoing.prod.mozaws.net/v1/<hash>/<quoted url>; the title has the URL.
    outgoing = re.search(r"/v1/[0-9a-f]+/(.+)$", _attr(homepage, "href"))
    record.homepage = (
        _attr(homepage, "title")
        if _attr(homepage, "title").startswith("http")
        else (unquote(outgoing.group(1)) if outgoing else _attr(homepage, "href"))
    )
    record.categories = _link_slugs(info.select("a[href*='/category/']"), "category")
    record.tags = _link_slugs(info.select("a[href*='/tag/']"), "tag")
    shown = _date(_text(info.select_one(".AddonMoreInfo-last-updated")))
    exact = _date(_attr(soup.select_one('meta[name="last-modified"]'), "content"))
    # The head meta carries the time of day too; trust it only when it agrees with the page.
    record.last_updated = exact if exact and (shown is None or exact.date() == shown.date()) else shown


def _read_permissions(root: Tag, record: AddonRecord) -> None:
    """Required permissions: AMO names them only through each row's icon class."""
    for row in root.select(".PermissionsCard-list--required .Permission"):
        icon = row.select_one('[class*="Icon-permission-"]')
        name = next((c[16:] for c in _attr(icon, "class").split() if c.startswith("Icon-permission-")), "")
        if name == "hostPermission":
            record.host_permissions.append(_host_pattern(_text(row)))
        elif name:
            record.permissions.append(name)


# --- embedded redux state ---------------------------------------------------------------


def _state_records(soup: BeautifulSoup, addresses: list[str]) -> dict[str, AddonRecord]:
    """Add-ons in the redux state, unless its router says it was rendered for another URL."""
    script = soup.select_one("script#redux-store-state")
    try:
        state = json.loads(script.string or "") if script else None
    except (ValueError, RecursionError):
        return {}
    if not isinstance(state, dict):
        return {}
    router = state.get("router")
    location = router.get("location") if isinstance(router, dict) else None
    pathname = location.get("pathname") if isinstance(location, dict) else None
    if isinstance(pathname, str) and addresses and not any(_same_path(pathname, a) for a in addresses):
        return {}
    records: dict[str, AddonRecord] = {}
    for data in _addon_objects(state):
        try:
            record = record_from_api(data, source=AddonSource.HTML)
        except RecordError:
            continue
        records[record.slug] = _merge(records[record.slug], record) if record.slug in records else record
    return records


def _addon_objects(node: Any, depth: int = 0) -> Iterator[dict]:
    """Every API-shaped add-on (a dict with a slug and a guid) anywhere in the state."""
    if depth > 12:
        return
    if isinstance(node, dict):
        if isinstance(node.get("slug"), str) and "guid" in node:
            yield node
            return
        node = list(node.values())
    if isinstance(node, list):
        for child in node:
            yield from _addon_objects(child, depth + 1)


def _same_path(path: str, url: str) -> bool:
    return unquote(path).rstrip("/").lower() == unquote(urlparse(url).path).rstrip("/").lower()


# --- small readers ----------------------------------------------------------------------


def _merge(primary: AddonRecord, extra: AddonRecord) -> AddonRecord:
    """Keep primary's values and fill what it lacks from extra; a flag set in either wins."""
    merged = replace(primary, source=AddonSource.HTML)
    for f in fields(AddonRecord):
        mine, theirs = getattr(primary, f.name), getattr(extra, f.name)
        if isinstance(mine, bool):
            setattr(merged, f.name, mine or bool(theirs))
        elif mine in _EMPTY and theirs not in _EMPTY:
            setattr(merged, f.name, copy.copy(theirs))
    return merged


def _page_addresses(soup: BeautifulSoup, page_url: str) -> list[str]:
    """Where the page says it lives (canonical link, og:url), then where we got it."""
    found = [
        _attr(soup.select_one('link[rel~="canonical"]'), "href"),
        _attr(soup.select_one('meta[property="og:url"]'), "content"),
        page_url,
    ]
    return [a for a in found if a]


def _text(el: Tag | None) -> str:
    return " ".join(el.get_text().split()) if el is not None else ""


def _html(el: Tag | None) -> str:
    return el.decode_contents().strip() if el is not None else ""


def _attr(el: Tag | None, name: str) -> str:
    value = el.get(name) if el is not None else None
    return " ".join(value) if isinstance(value, list) else str(value or "").strip()


def _slug_from(url: str) -> str:
    match = _SLUG_RE.search(url or "")
    return unquote(match.group(1)).strip() if match else ""


def _absolute(link: str, base: str) -> str:
    """Resolve against the page URL, except root-relative links of a saved (file:) page: AMO's."""
    if link.startswith("/") and not base.startswith(("http://", "https://")):
        base = AMO_ROOT
    return urljoin(base, link) if link and base else link


def _clean_url(url: str) -> str:
    return url.split("#", 1)[0].split("?", 1)[0]


def _link_slugs(links: list[Tag], kind: str) -> list[str]:
    """Category/tag slugs from the links' hrefs: the link text is translated, the href is not."""
    found = (re.search(rf"/{kind}/([^/?#]+)", _attr(link, "href")) for link in links)
    return list(dict.fromkeys(unquote(match.group(1)) for match in found if match))


def _count(text: str) -> int | None:
    """ "12,345 users", "1.2K users", "No users" -> 12345, 1200, 0."""
    if re.match(r"\s*no\b", text, re.I):
        return 0
    match = _NUMBER_RE.search(text)
    try:
        number, suffix = match.groups() if match else ("", None)
        if suffix:
            return round(float(number.replace(",", "")) * (1_000 if suffix in "Kk" else 1_000_000))
        return int(re.sub(r"\D", "", number)) if number else None
    except (ValueError, OverflowError):  # "1.2.3K", absurdly long digit runs
        return None


def _rating(text: str) -> float | None:
    match = _RATING_RE.search(text or "")
    return float(match.group(1).replace(",", ".")) if match else None


def _badges(scope: Tag | None) -> list[str]:
    return [(_attr(b, "class") + " " + _text(b)).lower() for b in scope.select(".Badge")] if scope else []


def _promoted(scope: Tag | None) -> bool:
    """Recommended, "by Firefox", verified or sponsored ("Experimental" is none of them)."""
    return bool(scope and scope.select_one('[class*="PromotedBadge"]')) or any(
        label in badge for badge in _badges(scope) for label in PROMOTED_LABELS
    )


def _requires_payment(scope: Tag | None) -> bool:
    return any(re.search(r"requires?[- ]payment", badge) for badge in _badges(scope))


def _host_pattern(text: str) -> str:
    """Turn AMO's host-permission sentence back into a match pattern when we can."""
    if "all websites" in text:
        return "<all_urls>"
    domain, site = re.search(r"sites in the (\S+) domain", text), re.search(r"data for (\S+)$", text)
    return f"*://*.{domain.group(1)}/*" if domain else f"*://{site.group(1)}/*" if site else text


def _date(text: str) -> datetime | None:
    """An ISO timestamp, or the "(Apr 19, 2022)" of AMO's "Last updated"; always UTC-aware."""
    value: datetime | None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        match = _DATE_RE.search(text)
        try:
            value = datetime.strptime(" ".join(match.groups()), "%b %d %Y") if match else None
        except ValueError:
            value = None
    return value.replace(tzinfo=UTC) if value and not value.tzinfo else value
