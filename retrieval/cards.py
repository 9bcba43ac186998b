"""The card an add-on shows as, in the recommend API and in the chat: catalogue facts only, plain text.

Its `reason` says in a few words why it is worth a look, as a person would ("Works on YouTube · free ·
4.6★"): the site the visitor asked about (or the one or two the add-on is made for), its price, an
open-source licence, its rating. It never lists which words matched where.
"""

from __future__ import annotations

from marketplace.licenses import is_open_source
from marketplace.models import Addon
from marketplace.sites import site_domains, site_label, site_names
from retrieval.documents import MAX_SITES
from retrieval.text import fold, words

NAMED_SITES = 2  # an add-on for more sites than this is not "for" one of them unless the visitor asked
NOTES = {
    "en": {"works_on": "Works on {site}", "free": "free", "paid": "paid", "open_source": "open source",
           "recommended": "Recommended", "decimal": "."},
    "de": {"works_on": "Für {site}", "free": "kostenlos", "paid": "kostenpflichtig", "open_source": "Open Source",
           "recommended": "Empfohlen", "decimal": ","},
    "fr": {"works_on": "Pour {site}", "free": "gratuit", "paid": "payant", "open_source": "open source",
           "recommended": "Recommandé", "decimal": ","},
    "es": {"works_on": "Para {site}", "free": "gratis", "paid": "de pago", "open_source": "código abierto",
           "recommended": "Recomendado", "decimal": ","},
    "it": {"works_on": "Per {site}", "free": "gratuito", "paid": "a pagamento", "open_source": "open source",
           "recommended": "Consigliato", "decimal": ","},
    "pt": {"works_on": "Para {site}", "free": "grátis", "paid": "pago", "open_source": "código aberto",
           "recommended": "Recomendado", "decimal": ","},
    "nl": {"works_on": "Voor {site}", "free": "gratis", "paid": "betaald", "open_source": "open source",
           "recommended": "Aanbevolen", "decimal": ","},
}  # fmt: skip


def addon_site_labels(addon: Addon) -> list[str]:
    """The sites an add-on is made for, as people write them ("YouTube", "Netflix")."""
    patterns = [*addon.permissions, *addon.host_permissions]
    domains = site_domains(patterns)
    texts = [addon.name, addon.summary_text]
    return [site_label(name, domains=domains, texts=texts) for name in site_names(patterns)[:MAX_SITES]]


def card_reason(addon: Addon, *, sites: list[str], query: str = "", language: str = "en") -> str:
    notes = NOTES.get(language, NOTES["en"])
    asked = set(words(query))
    site = next((label for label in sites if fold(label).replace(" ", "") in asked), "")
    site = site or (sites[0] if 0 < len(sites) <= NAMED_SITES else "")
    parts = [notes["recommended"]] if addon.promoted else []
    parts += [notes["works_on"].format(site=site)] if site else []
    parts.append(notes["paid"] if addon.requires_payment else notes["free"])
    parts += [notes["open_source"]] if is_open_source(addon.license) else []
    if addon.rating is not None and addon.rating_count:
        parts.append(f"{addon.rating:.1f}".replace(".", notes["decimal"]) + "\u2605")
    return " · ".join(parts)


def addon_card(addon: Addon, *, query: str = "", language: str = "en") -> dict:
    sites = addon_site_labels(addon)
    return {
        "slug": addon.slug,
        "name": addon.name,
        "summary": addon.summary_text,
        "icon_url": addon.icon_url,
        "url": addon.url,
        "rating": addon.rating,
        "rating_count": addon.rating_count,
        "users": addon.average_daily_users,
        "free": not addon.requires_payment,
        "sites": sites,
        "categories": [{"slug": c.slug, "name": c.name} for c in addon.categories.all()],
        "reason": card_reason(addon, sites=sites, query=query, language=language),
    }
