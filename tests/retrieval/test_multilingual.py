"""Needs in other languages: the multilingual encoder's collection follows the catalogue, and a need in
German or French finds what it asks for, not what merely shares its language."""

from __future__ import annotations

import pytest
from django.test import override_settings

from marketplace.jobs import jobs_wait
from marketplace.models import Addon
from marketplace.records import AddonRecord
from marketplace.services import addon_deactivate, addons_upsert
from retrieval.language import foreign_language, without_function_words
from retrieval.multilingual import multilingual_embeddings
from retrieval.recommend import recommend
from retrieval.store import vector_store
from retrieval.sync import index_drift, index_sync

JOB_SECONDS = 60

ADDONS = [
    (
        "night-owl",
        "Night Owl",
        "Dark theme for every website, gentle on tired eyes when reading at night.",
        "appearance",
    ),
    ("tab-napper", "Tab Napper", "Suspends tabs you have not used for a while to free memory.", "tabs"),
    ("qr-maker", "QR Maker", "Shows a QR code of the current page, to open it on your phone.", "other"),
    ("ad-eraser", "Ad Eraser", "Blocks advertising banners and pop-ups on every website.", "privacy-security"),
    # Written in German and French, about other things: they share the visitor's language, not the need.
    (
        "wetter-leiste",
        "Wetter für die Leiste",
        "Zeigt das Wetter für die Stadt und die Woche in der Leiste an, mit "
        "einem Klick auf das Symbol und ich sehe es immer.",
        "alerts-updates",
    ),  # fmt: skip
    (
        "dico-rapide",
        "Dico rapide",
        "Le dictionnaire de la langue française pour les mots que je lis sur une page, "
        "avec un clic sur le mot et je vois la définition.",
        "language-support",
    ),  # fmt: skip
]


def catalogue() -> None:
    records = [
        AddonRecord(slug=slug, name=name, summary=summary, categories=[category], average_daily_users=100,
                    rating=4.0, rating_count=10)
        for slug, name, summary, category in ADDONS
    ]  # fmt: skip
    addons_upsert(records=records)
    assert jobs_wait(JOB_SECONDS)


def test_the_language_of_a_need_and_its_own_short_words():
    assert foreign_language("Meine Augen tun beim Lesen am Abend weh") == "de"
    assert foreign_language("my eyes hurt when I read at night") == ""
    assert foreign_language("QR code") == ""  # no evidence: English, as the catalogue
    assert without_function_words("ich möchte einen QR-Code für die Seite", "de").split() == ["QR-Code", "Seite"]


@pytest.mark.django_db(transaction=True)
def test_the_multilingual_collection_follows_the_catalogue():
    catalogue()
    multilingual = vector_store(multilingual=True)
    assert set(multilingual.get()["ids"]) == {slug for slug, *_ in ADDONS}
    vector = multilingual._collection.get(ids=["night-owl"], include=["embeddings"])["embeddings"][0]
    assert len(vector) == len(multilingual_embeddings().embed_query("x"))  # its own encoder's vectors
    addon_deactivate(addon=Addon.objects.get(slug="qr-maker"))
    assert jobs_wait(JOB_SECONDS) and "qr-maker" not in multilingual.get()["ids"]
    multilingual.delete(ids=["tab-napper"])
    assert index_drift().missing == ["tab-napper"]  # drift covers both collections
    report = index_sync()
    assert (report.embedded, report.multilingual_embedded) == (0, 1) and index_drift().total == 0


@pytest.mark.django_db(transaction=True)
def test_turning_the_multilingual_encoder_on_later_fills_its_collection_only():
    with override_settings(MULTILINGUAL_MODEL=""):
        catalogue()
        assert index_drift().total == 0
    report = index_sync()
    assert (report.embedded, report.multilingual_embedded) == (0, len(ADDONS))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("need", "wanted"),
    [
        ("Meine Augen tun beim Lesen am Abend weh, ich möchte dunkle Seiten", "night-owl"),
        ("je veux ouvrir la page sur mon téléphone avec un code", "qr-maker"),
        ("bloquer les publicités et les fenêtres pop-up sur tous les sites", "ad-eraser"),
    ],
)
def test_a_need_in_another_language_finds_what_it_asks_for(need, wanted):
    catalogue()
    assert recommend(need, k=1)[0].addon.slug == wanted


@pytest.mark.django_db(transaction=True)
def test_without_the_multilingual_encoder_a_need_finds_what_shares_its_language():
    """What the multilingual ranking fixes: with English encoders only, the German need's own short words
    match the German add-on about the weather."""
    catalogue()
    with override_settings(MULTILINGUAL_MODEL=""):
        found = [
            found.addon.slug
            for found in recommend("Meine Augen tun beim Lesen am Abend weh, ich möchte dunkle Seiten", k=2)
        ]
    assert "wetter-leiste" in found


@pytest.mark.django_db(transaction=True)
def test_english_needs_rank_as_without_the_multilingual_encoder():
    catalogue()
    for need in ("dark theme for reading at night", "free memory from idle tabs", "block pop-ups"):
        shipped = [found.addon.slug for found in recommend(need, k=6)]
        with override_settings(MULTILINGUAL_MODEL=""):
            assert [found.addon.slug for found in recommend(need, k=6)] == shipped
