"""AMO HTML pages (detail, listing, search, category) -> AddonRecords.

AMO renders with React, so a saved or fetched page carries two copies of the data: the
DOM and, sometimes, the redux state as JSON. The DOM is what the visitor saw, so it is
primary; the state only fills gaps, because a saved page may carry another page's state.
Everything here is defensive: scraped pages arrive truncated, mangled or empty, and one
bad card must not cost us the rest of the page.
"""
from __future__ import annotations

import copy
import json
import logging
import re
from dataclasses import fields, replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterator
from urllib.parse import unquote, urljoin, urlparse

from bs4 import BeautifulSoup, Tag

from marketplace.records import AddonRecord
from scraper.amo_api import RecordError, record_from_api

log = logging.getLogger(__name__)

AMO_ROOT = "https://addons.mozilla.org/"
PROMOTED_LABELS = ("recommended", "by firefox", "verified", "sponsored")
_SLUG_RE = re.compile(r"/addon/([^/?#]+)")
_NUMBER_RE = re.compile(r"(\d(?:[\d,.\u00a0\u202f]*\d)?)(?:\s*([KkMm])\b)?")
_RATING_RE = re.compile(r"(\d(?:[.,]\d+)?)\s*(?:out of|stars?)", re.I)
_DATE_RE = re.compile(r"\b([A-Z][a-z]{2})[a-z]*\.? (\d{1,2}), (\d{4})\b")
_EMPTY: tuple[Any, ...] = (None, "", [])


def parse_page(html: str | bytes, *, page_url: str = "") -> list[AddonRecord]:
    """Every add-on on the page: the detail add-on first, then cards in page order.

    Never raises: a crawler feeds this whatever the network returned.
    """
    try:
        soup = BeautifulSoup(html or "", "lxml")
        address = _page_addresses(soup, page_url)
        builders: list[Callable[[], AddonRecord | None]] = [lambda: _detail_record(soup, address, page_url)]
        builders += [lambda card=card: _card_record(card, page_url) for card in soup.select(".SearchResult")]
        found: dict[str, AddonRecord] = {}
        for build in builders:
            try:
                record = build()
            except Exception:  # one broken card must not cost the rest of the page
                log.debug("skipping an unreadable add-on block", exc_info=True)
                continue
            if record is not None:
                found[record.slug] = _merge(found[record.slug], record) if record.slug in found else record
        state = _state_records(soup, address)
        if not found:
            return list(state.values())
        return [_merge(rec, state[rec.slug]) if rec.slug in state else rec for rec in found.values()]
    except Exception:
        log.warning("could not parse AMO page %s", page_url or "(no url)", exc_info=True)
        return []


def next_page_url(html: str | bytes, *, page_url: str) -> str | None:
    """The paginator's "Next" link as an absolute URL, so a crawler can walk listings."""
    try:
        soup = BeautifulSoup(html or "", "lxml")
        for link in soup.select('[class*="Paginat"] a[href]'):
            classes = " ".join(link.get("class") or []).lower()
            if "next" in classes or _text(link).lower().startswith("next"):
                if "disabled" in classes or link.get("aria-disabled") == "true":
                    return None
                return urljoin(page_url or AMO_ROOT, str(link["href"]))
        head = soup.select_one('link[rel~="next"][href]')
        return urljoin(page_url or AMO_ROOT, str(head["href"])) if head else None
    except Exception:
        return None


# --- DOM ------------------------------------------------------------------------------

def _detail_record(soup: BeautifulSoup, addresses: list[str], base: str) -> AddonRecord | None:
    """The page's own add-on (detail pages only: they are the ones with an AddonTitle)."""
    title = soup.select_one(".AddonTitle")
    if title is None:
        return None
    root = soup.select_one(".Addon") or soup
    own_links = [a.get("href", "") for a in root.select(
        ".AddonMeta a[href], .Addon-all-reviews-link[href], .AddonMoreInfo a[href*='/addon/']")]
    slug = next(filter(None, map(_slug_from, own_links + addresses)), "")
    if not slug:
        return None
    title = copy.copy(title)
    for author in title.select(".AddonTitle-author"):
        author.decompose()
    header = root.select_one(".AddonBadges") or root.select_one(".Addon-header")
    record = AddonRecord(
        slug=slug,
        name=_text(title),
        summary=_html(root.select_one(".Addon-summary")),
        description=_html(root.select_one(".AddonDescription-contents")),
        amo_id=_int(root.get("data-site-identifier")),
        icon_url=_absolute(_attr(root.select_one(".Addon-icon img, img.Addon-icon-image"), "src"), base),
        url=next((_clean_url(a) for a in addresses if _slug_from(a) == slug), ""),
        promoted=_promoted(header),
        requires_payment=_requires_payment(header),
        source="html",
    )
    _read_meta(root, record)
    _read_more_info(root, record, soup)
    _read_permissions(root, record)
    return _merge(record, _ld_json_record(soup, slug))


def _card_record(card: Tag, base: str) -> AddonRecord | None:
    """One listing/search/recommendation card (AMO's SearchResult component)."""
    link = card.select_one("a.SearchResult-link[href]") or card.select_one("a[href*='/addon/']")
    slug = _slug_from(_attr(link, "href"))
    if not slug:
        return None
    rating = card.select_one(".Rating[title]")
    rating_box = card.select_one(".SearchResult-rating")
    count = re.search(r"\(\s*([\d.,]+\s*[KkMm]?)\s*\)", _text(rating_box))
    return AddonRecord(
        slug=slug,
        name=_text(link) or _text(card.select_one(".SearchResult-name")),
        summary=_html(card.select_one(".SearchResult-summary")),
        icon_url=_absolute(_attr(card.select_one("img.SearchResult-icon, .SearchResult-icon img"), "src"), base),
        url=_clean_url(_absolute(_attr(link, "href"), base or AMO_ROOT)),
        average_daily_users=_count(_text(card.select_one(".SearchResult-users-text, .SearchResult-users"))),
        rating=_rating(_attr(rating, "title") or _text(rating_box)),
        rating_count=_count(count.group(1)) if count else None,
        promoted=_promoted(card),
        requires_payment=_requires_payment(card),
        source="html",
    )


def _read_meta(root: Tag, record: AddonRecord) -> None:
    """AddonMeta: pairs of <dd> value / <dt> label (Users, Reviews, "4.1 Stars")."""
    meta = root.select_one(".AddonMeta")
    if meta is None:
        return
    for group in meta.select("dl"):
        label, value = _text(group.select_one("dt")).lower(), group.select_one("dd")
        if "user" in label:
            record.average_daily_users = _count(_text(value))
        elif "review" in label:
            record.rating_count = _count(_text(value))
    record.rating = _rating(_attr(meta.select_one(".Rating[title]"), "title") or _text(meta))
    if record.rating_count is None:
        record.rating_count = _count(_text(root.select_one(".Addon-all-reviews-link")))


def _read_more_info(root: Tag, record: AddonRecord, soup: BeautifulSoup) -> None:
    """AddonMoreInfo: version, last updated, license, homepage, categories and tags."""
    info = root.select_one(".AddonMoreInfo") or root
    record.version = _text(info.select_one(".AddonMoreInfo-version"))
    record.license = _text(info.select_one(".AddonMoreInfo-license-name, .AddonMoreInfo-license"))
    homepage = info.select_one("a.AddonMoreInfo-homepage-link")
    title = _attr(homepage, "title")
    record.homepage = title if title.startswith("http") else _outgoing(_attr(homepage, "href"))
    record.categories = _link_slugs(info.select("a[href*='/category/']"), "category")
    record.tags = _link_slugs(info.select("a[href*='/tag/']"), "tag")
    shown = _date(_text(info.select_one(".AddonMoreInfo-last-updated")))
    meta = _iso_date(_attr(soup.select_one('meta[name="last-modified"]'), "content"))
    # The head meta carries the exact time; trust it only when it agrees with the page.
    record.last_updated = meta if meta and (shown is None or meta.date() == shown.date()) else shown


def _read_permissions(root: Tag, record: AddonRecord) -> None:
    """Required permissions; AMO names them only through the icon class of each row."""
    for row in root.select(".PermissionsCard-list--required .Permission"):
        icon = row.select_one('[class*="Icon-permission-"]')
        name = next((c.split("Icon-permission-", 1)[1] for c in _attr_list(icon, "class")
                     if c.startswith("Icon-permission-")), "")
        if name == "hostPermission":
            record.host_permissions.append(_host_pattern(_text(row)))
        elif name:
            record.permissions.append(name)


def _ld_json_record(soup: BeautifulSoup, slug: str) -> AddonRecord:
    """schema.org data in the head: a fallback for a detail page whose body is damaged."""
    for script in soup.select('script[type="application/ld+json"]'):
        data = _json(script.string)
        if not isinstance(data, dict) or _slug_from(str(data.get("url") or "")) != slug:
            continue
        ratings = data.get("aggregateRating") if isinstance(data.get("aggregateRating"), dict) else {}
        return AddonRecord(slug=slug, name=str(data.get("name") or ""), summary=str(data.get("description") or ""),
                           version=str(data.get("version") or ""), rating=_float(ratings.get("ratingValue")),
                           rating_count=_int(ratings.get("ratingCount")), source="html")
    return AddonRecord(slug=slug, source="html")


# --- embedded redux state ---------------------------------------------------------------

def _state_records(soup: BeautifulSoup, addresses: list[str]) -> dict[str, AddonRecord]:
    """Add-ons from the redux state, unless the state was rendered for another URL."""
    script = soup.select_one("script#redux-store-state")
    state = _json(script.string if script else None)
    if not isinstance(state, dict) or not _state_is_for(state, addresses):
        return {}
    records: dict[str, AddonRecord] = {}
    for data in _addon_objects(state):
        try:
            record = record_from_api(data, source="html")
        except RecordError:
            continue
        records[record.slug] = _merge(records[record.slug], record) if record.slug in records else record
    return records


def _state_is_for(state: dict, addresses: list[str]) -> bool:
    router = state.get("router")
    location = router.get("location") if isinstance(router, dict) else None
    pathname = location.get("pathname") if isinstance(location, dict) else None
    if not isinstance(pathname, str) or not addresses:
        return True
    wanted = unquote(pathname).rstrip("/").lower()
    return any(unquote(urlparse(a).path).rstrip("/").lower() == wanted for a in addresses)


def _addon_objects(node: Any, depth: int = 0) -> Iterator[dict]:
    """Every API-shaped add-on object (a dict with a slug and a guid) anywhere in the state."""
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


# --- small readers ----------------------------------------------------------------------

def _merge(primary: AddonRecord, extra: AddonRecord) -> AddonRecord:
    """Keep primary's values; fill what it lacks from extra (flags: either one)."""
    merged = replace(primary)
    for f in fields(AddonRecord):
        mine, theirs = getattr(primary, f.name), getattr(extra, f.name)
        if isinstance(mine, bool):
            setattr(merged, f.name, mine or bool(theirs))
        elif mine in _EMPTY and theirs not in _EMPTY:
            setattr(merged, f.name, copy.copy(theirs))
    merged.source = "html"
    return merged


def _page_addresses(soup: BeautifulSoup, page_url: str) -> list[str]:
    """Where this page says it lives: canonical link, og:url, then the URL we fetched."""
    found = [_attr(soup.select_one('link[rel~="canonical"]'), "href"),
             _attr(soup.select_one('meta[property="og:url"]'), "content"), page_url]
    return [a for a in found if a]


def _text(el: Tag | None) -> str:
    return " ".join(el.get_text().split()) if el is not None else ""


def _html(el: Tag | None) -> str:
    return el.decode_contents().strip() if el is not None else ""


def _attr(el: Tag | None, name: str) -> str:
    value = el.get(name) if el is not None else None
    return " ".join(value) if isinstance(value, list) else str(value or "").strip()


def _attr_list(el: Tag | None, name: str) -> list[str]:
    value = el.get(name) if el is not None else None
    return list(value) if isinstance(value, list) else str(value or "").split()


def _slug_from(url: str) -> str:
    match = _SLUG_RE.search(url or "")
    return unquote(match.group(1)).strip() if match else ""


def _absolute(link: str, base: str) -> str:
    """Resolve against the page URL; without one, only root-relative links go to AMO."""
    if not link or not (base or link.startswith("/")):
        return link
    return urljoin(base or AMO_ROOT, link)


def _clean_url(url: str) -> str:
    return url.split("#", 1)[0].split("?", 1)[0]


def _outgoing(href: str) -> str:
    """AMO wraps external links as outgoing.prod.mozaws.net/v1/<hash>/<quoted url>."""
    match = re.search(r"/v1/[0-9a-f]+/(.+)$", href)
    return unquote(match.group(1)) if match else href


def _link_slugs(links: list[Tag], kind: str) -> list[str]:
    slugs = []
    for link in links:
        match = re.search(rf"/{kind}/([^/?#]+)", _attr(link, "href"))
        slug = unquote(match.group(1)) if match else _text(link).lower()
        if slug and slug not in slugs:
            slugs.append(slug)
    return slugs


def _count(text: str) -> int | None:
    """ "12,345 users", "1.2K users", "No users" -> 12345, 1200, 0."""
    if re.match(r"\s*no\b", text, re.I):
        return 0
    match = _NUMBER_RE.search(text)
    if not match:
        return None
    number, suffix = match.groups()
    if suffix:
        scale = 1_000 if suffix in "Kk" else 1_000_000
        return round(float(number.replace(",", "")) * scale)
    return int(re.sub(r"\D", "", number))


def _rating(text: str) -> float | None:
    match = _RATING_RE.search(text or "")
    return float(match.group(1).replace(",", ".")) if match else None


def _promoted(scope: Tag | None) -> bool:
    if scope is None:
        return False
    if scope.select_one('[class*="PromotedBadge"]'):
        return True
    return any(label in _text(badge).lower() for badge in scope.select(".Badge") for label in PROMOTED_LABELS)


def _requires_payment(scope: Tag | None) -> bool:
    return scope is not None and any("requires payment" in _text(b).lower() for b in scope.select(".Badge"))


def _host_pattern(text: str) -> str:
    """Turn AMO's host-permission sentence back into a match pattern when we can."""
    if "all websites" in text:
        return "<all_urls>"
    match = re.search(r"sites in the (\S+) domain", text)
    if match:
        return f"*://*.{match.group(1)}/*"
    match = re.search(r"data for (\S+)$", text)
    return f"*://{match.group(1)}/*" if match else text


def _date(text: str) -> datetime | None:
    """ "2 months ago (Apr 19, 2022)" -> 2022-04-19 UTC."""
    match = _DATE_RE.search(text or "")
    try:
        return datetime.strptime(" ".join(match.groups()), "%b %d %Y").replace(tzinfo=timezone.utc) if match else None
    except ValueError:
        return None


def _iso_date(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except (ValueError, RecursionError):
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
