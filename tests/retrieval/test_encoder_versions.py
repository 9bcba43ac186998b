"""Fine-tuning the search encoder as a versioned job: train and judge on held-out needs, promote only a better
one (the index is re-embedded into its own collection, then searches switch), roll back."""

from __future__ import annotations

import random
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from marketplace.jobs import jobs_wait
from marketplace.models import Addon
from retrieval import recommend as recommend_module
from retrieval.encoder_versions import (
    EncoderVersionRefused,
    embedding_version_promote,
    embedding_version_rollback,
    embedding_version_start,
)
from retrieval.models import EmbeddingVersion
from retrieval.query import Filters
from retrieval.recommend import FEEDBACK_DOCS, recommend
from retrieval.selectors import BASE_ENCODER, serving_encoder
from retrieval.services import evidence_record
from retrieval.store import vector_store
from retrieval.sync import index_sync
from retrieval.tuning import (
    Pair,
    TuningConfig,
    _batch,
    finetune,
    held_out,
    listing_need,
    ranking_quality,
    weights_blend,
)

JOB_SECONDS = 600
Status = EmbeddingVersion.Status


class Letters:
    """A ranker that embeds a text as the counts of a few letters: its rankings are worked out by hand."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        vector = np.array([text.count(letter) for letter in "abc"], dtype=np.float32) + 1e-3
        return (vector / np.linalg.norm(vector)).tolist()


def test_a_need_from_a_listing_is_its_first_clause_without_its_name():
    assert listing_need("Tab Napper", "Tab Napper suspends idle tabs. Saves memory.") == "suspends idle tabs"
    assert listing_need("X", "") == ""


def test_the_held_out_share_is_stable_and_about_a_fifth():
    slugs = [f"addon-{number}" for number in range(2000)]
    share = sum(map(held_out, slugs)) / len(slugs)
    assert 0.15 < share < 0.25 and [held_out(slug) for slug in slugs] == [held_out(slug) for slug in slugs]


def test_a_batch_never_holds_one_addon_text_twice():
    pairs = [("need a", "text 1"), ("need b", "text 1"), ("need c", "text 2"), ("need d", "text 3")]
    order: list[int] = []
    for _ in range(10):
        batch = _batch(pairs, order, 3, random.Random(0))
        assert len({pairs[at][1] for at in batch}) == len(batch) == 3


def test_ranking_quality_scores_the_rank_of_each_needs_addon():
    documents = {"aa": "aaaa", "bb": "bbbb", "cc": "cccc", "ab": "aabb"}
    needs = [Pair("aaa", "aa", "visitors"), Pair("aaa", "ab", "visitors"), Pair("ccc", "cc", "catalogue")]
    quality = ranking_quality(Letters(), {"all": needs, "none": []}, documents)
    # ranks 1, 2 and 1: nDCG@5 (1 + 1/log2(3) + 1) / 3, MRR (1 + 1/2 + 1) / 3
    assert quality["all"] == {"nDCG@5": round((2 + 1 / np.log2(3)) / 3, 4), "Hit@5": 1.0, "MRR@10": round(2.5 / 3, 4)}
    assert quality["none"] == {}


def test_finetuning_pulls_needs_towards_their_addons(tmp_path, settings):
    pairs = [
        ("my eyes hurt at night", "Night Owl: dark theme for every website"),
        ("too many tabs open", "Tab Napper: suspends idle tabs to free memory"),
        ("open this page on my phone", "QR Maker: a QR code of the current page"),
        ("stop annoying banners", "Ad Eraser: blocks advertising and pop-ups"),
    ]
    losses: list[float] = []
    path = finetune(settings.EMBEDDING_MODEL, pairs, tmp_path / "tuned", TuningConfig(steps=8, batch_size=4,
                    learning_rate=1e-4), on_step=lambda step, loss: losses.append(loss))  # fmt: skip
    assert (path / "config.json").exists() and len(losses) == 8
    assert losses[-1] < losses[0]


def test_weights_blend_moves_floating_weights_towards_the_base_and_refuses_a_whole_base():
    import torch

    model = torch.nn.Linear(2, 1)
    model.register_buffer("steps", torch.tensor([7]))
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.bias.fill_(-1.0)
    base = {"weight": torch.zeros(1, 2), "bias": torch.ones(1), "steps": torch.tensor([0])}
    weights_blend(model, base, 0.25)
    assert model.weight.tolist() == [[0.75, 0.75]] and model.bias.tolist() == [-0.5]
    assert model.steps.tolist() == [7]  # counters are not weights
    with pytest.raises(ValueError, match="below 1"):
        weights_blend(model, base, 1.0)


def test_a_base_share_saves_the_blend_of_tuned_and_base_weights(tmp_path, settings):
    from sentence_transformers import SentenceTransformer

    pairs = [("my eyes hurt at night", "Night Owl: dark theme"), ("too many tabs", "Tab Napper: suspends tabs")]
    config = {"steps": 2, "batch_size": 2, "learning_rate": 1e-3}
    tuned = finetune(settings.EMBEDDING_MODEL, pairs, tmp_path / "tuned", TuningConfig(**config))
    half = finetune(settings.EMBEDDING_MODEL, pairs, tmp_path / "half", TuningConfig(**config, base_share=0.5))
    weights = [SentenceTransformer(str(path), device="cpu").state_dict() for path in (settings.EMBEDDING_MODEL,
               tuned, half)]  # fmt: skip
    name = next(name for name, tensor in weights[0].items() if tensor.is_floating_point() and tensor.ndim == 2)
    base, full, blended = (state[name] for state in weights)
    assert not full.equal(base)
    assert blended.allclose((base + full) / 2, atol=1e-6)


def ready_version(number: int, metrics: dict, **fields) -> EmbeddingVersion:
    """A version as training leaves it, with the held-out figures given."""
    return EmbeddingVersion.objects.create(
        number=number, base_model="x", status=Status.READY, metrics=metrics, **fields
    )


@pytest.fixture
def visited(demo_catalog):
    """The demo catalogue with a few visitors' needs that found their add-on."""
    addons = list(Addon.objects.filter(is_active=True).order_by("slug")[:40])
    for number, addon in enumerate(addons):
        evidence_record(need=f"I want {addon.summary_text[:40]}", slug=addon.slug, signal="satisfied",
                        session=f"s{number}", client=f"c{number}")  # fmt: skip
    return addons


@pytest.mark.django_db(transaction=True)
def test_a_version_trains_is_judged_promoted_and_rolled_back(visited, settings, monkeypatch):
    version = embedding_version_start(steps=3)
    assert jobs_wait(JOB_SECONDS)
    version.refresh_from_db()
    assert version.status == Status.READY, version.error
    assert version.counts["train"]["visitors"] > 0 and version.counts["held_out"]["catalogue"] > 0
    listings = version.metrics["catalogue"]
    assert set(listings["serving"]) == set(listings["candidate"]) == {"nDCG@5", "Hit@5", "MRR@10"}
    assert version.metrics["needs"] == version.counts["held_out"]["visitors"]  # visitors' needs decide
    assert len(version.loss_history) == 3 and version.path
    # Promoted (whatever it scored here: the gate is tested on its own below), searches move to its collection.
    EmbeddingVersion.objects.filter(pk=version.pk).update(
        metrics={**version.metrics, "needs": 50, "serving": {"nDCG@5": 0.5}, "candidate": {"nDCG@5": 1.0}}
    )
    version.refresh_from_db()
    assert embedding_version_promote(version=version).status == Status.INDEXING
    assert jobs_wait(JOB_SECONDS)
    version.refresh_from_db()
    assert version.status == Status.SERVING and version.promoted_at
    assert serving_encoder().version == version.number
    store = vector_store()
    assert store._collection.name == f"{settings.CHROMA_COLLECTION}-v{version.number}"
    assert store._collection.count() == Addon.objects.filter(is_active=True).count()
    assert recommend("dark theme for every website", k=3)
    # While it serves, keywords are expanded from the base encoder's ranking (marked here by reversing it).
    need, expanded = "dark theme for every website", []
    search, dense = recommend_module.lexical_candidates, recommend_module.dense_candidates

    def base_reversed(query: str, **options) -> list[str]:
        ranking = dense(query, **options)
        return ranking[::-1] if options.get("encoder") == BASE_ENCODER else ranking

    monkeypatch.setattr(recommend_module, "dense_candidates", base_reversed)
    monkeypatch.setattr(
        recommend_module, "lexical_candidates", lambda *a, **k: expanded.append(k["feedback"]) or search(*a, **k)
    )
    recommend(need, k=3)
    assert expanded == [
        base_reversed(need, filters=Filters(), exclude=frozenset(), encoder=BASE_ENCODER)[:FEEDBACK_DOCS]
    ]
    # ... and the base encoder's collection stays current.
    retired = Addon.objects.filter(is_active=True).first()
    Addon.objects.filter(pk=retired.pk).update(is_active=False)
    index_sync(slugs=[retired.slug])
    assert not vector_store(encoder=BASE_ENCODER)._collection.get(ids=[retired.slug])["ids"]
    assert not store._collection.get(ids=[retired.slug])["ids"]
    embedding_version_rollback()
    assert jobs_wait(JOB_SECONDS)
    version.refresh_from_db()
    assert version.status == Status.RETIRED and serving_encoder().version is None
    assert vector_store()._collection.name == settings.CHROMA_COLLECTION


@pytest.mark.django_db
def test_a_version_that_does_not_beat_the_serving_encoder_is_not_promoted():
    version = ready_version(1, {"needs": 30, "serving": {"nDCG@5": 0.6}, "candidate": {"nDCG@5": 0.6}})
    with pytest.raises(EncoderVersionRefused, match="does not beat the encoder serving"):
        embedding_version_promote(version=version)
    EmbeddingVersion.objects.filter(pk=version.pk).update(
        metrics={"needs": 5, "serving": {"nDCG@5": 0.6}, "candidate": {"nDCG@5": 0.9}}
    )
    version.refresh_from_db()
    with pytest.raises(
        EncoderVersionRefused, match="judged on 5 held-out visitors' needs; promoting takes at least 20"
    ):
        embedding_version_promote(version=version)
    with pytest.raises(EncoderVersionRefused, match="nothing to roll back"):
        embedding_version_rollback()
    version.refresh_from_db()
    assert version.status == Status.READY
    judged_against_another = ready_version(
        2, {"serving_version": 1, "serving": {"nDCG@5": 0.6}, "candidate": {"nDCG@5": 0.9}}
    )
    with pytest.raises(EncoderVersionRefused, match="judged against v1, which no longer serves"):
        embedding_version_promote(version=judged_against_another)


@pytest.mark.django_db
def test_admin_compares_a_version_and_refuses_to_promote_a_worse_one(admin_client):
    version = ready_version(
        3, {"needs": 46, "serving": {"nDCG@5": 0.61, "Hit@5": 0.7, "MRR@10": 0.5},
            "candidate": {"nDCG@5": 0.58, "Hit@5": 0.7, "MRR@10": 0.49}},
        counts={"train": {"visitors": 12, "catalogue": 180}}, loss_history=[[1, 2.0], [2, 1.5], [3, 1.1]],
    )  # fmt: skip
    EmbeddingVersion.objects.filter(pk=version.pk).update(finished_at="2026-12-01T10:00:00Z")
    page = admin_client.get(reverse("admin:retrieval_embeddingversion_change", args=[version.pk])).content.decode()
    assert "<tr><th>nDCG@5</th><td>0.610</td><td>0.580</td></tr>" in page
    assert "not better: it is not promoted" in page and ">Promote<" not in page
    assert "<tr><th>train</th><td>12</td><td>180</td></tr>" in page and 'aria-label="Training loss by step"' in page
    listing = admin_client.get(reverse("admin:retrieval_embeddingversion_changelist")).content.decode()
    assert "0.610 → 0.580" in listing and "Fine-tune encoder" in listing
    response = admin_client.post(reverse("admin:retrieval_embeddingversion_promote", args=[version.pk]), follow=True)
    assert "does not beat the encoder serving" in response.content.decode()


@pytest.mark.django_db
def test_admin_starts_a_fine_tuning_job(admin_client, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:retrieval_embeddingversion_start"))
    version = EmbeddingVersion.objects.get()
    assert version.status == Status.PENDING and sent == [("retrieval.tasks.embedding_version_train", (version.pk,))]


@pytest.mark.django_db
def test_a_base_share_out_of_range_is_refused_before_any_training(admin_client, sent, settings):
    settings.ENCODER_TUNING_BASE_SHARE = 1.0
    response = admin_client.post(reverse("admin:retrieval_embeddingversion_start"), follow=True)
    assert "Cannot fine-tune the encoder: base_share must be at least 0 and below 1" in response.content.decode()
    assert not EmbeddingVersion.objects.exists() and sent == []
    with pytest.raises(CommandError, match="below 1"):
        call_command("tune_encoder", "--steps", "2")


@pytest.mark.django_db(transaction=True)
def test_the_command_trains_and_prints_the_held_out_comparison(visited):
    out = StringIO()
    call_command("tune_encoder", "--steps", "2", stdout=out)
    assert "Encoder v1 is training from" in out.getvalue()
    assert "held-out listings' needs: nDCG@5" in out.getvalue() and "(serving" in out.getvalue()
    with pytest.raises(CommandError, match="at least 1"):
        call_command("tune_encoder", "--steps", "0")


@pytest.mark.django_db(transaction=True)
def test_the_command_promotes_a_better_version_and_refuses_a_worse_one(visited, monkeypatch, settings):
    """Which one is better is set here (the judgment itself is tested above): serving first, then the candidate."""
    import retrieval.encoder_versions

    settings.ENCODER_MIN_JUDGED_NEEDS = 0
    low, high = {"nDCG@5": 0.5, "Hit@5": 0.6, "MRR@10": 0.4}, {"nDCG@5": 0.7, "Hit@5": 0.8, "MRR@10": 0.6}
    better = iter([{"visitors": low, "catalogue": low}, {"visitors": high, "catalogue": high}])
    monkeypatch.setattr(retrieval.encoder_versions, "ranking_quality", lambda *args: next(better))
    out = StringIO()
    call_command("tune_encoder", "--steps", "1", "--promote", stdout=out)
    assert "Encoder v1 is serving" in out.getvalue() and serving_encoder().version == 1
    worse = iter([{"visitors": high, "catalogue": high}, {"visitors": low, "catalogue": low}])
    monkeypatch.setattr(retrieval.encoder_versions, "ranking_quality", lambda *args: next(worse))
    with pytest.raises(CommandError, match="does not beat the encoder serving"):
        call_command("tune_encoder", "--steps", "1", "--promote", stdout=StringIO())
    assert serving_encoder().version == 1
