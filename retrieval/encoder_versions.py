"""Writes for fine-tuned encoder versions: start one (a job trains and judges it), promote it (a job re-embeds
the index into its collection, then it serves), roll back to what served before it.

A version is promoted only when it beats the encoder serving on held-out needs that visitors wrote (at least
ENCODER_MIN_JUDGED_NEEDS of them); a version that does not is kept for the record and never serves.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from marketplace.jobs import enqueue
from marketplace.models import Addon
from retrieval.documents import addon_text
from retrieval.embedder import embeddings
from retrieval.models import EmbeddingVersion, Evidence
from retrieval.selectors import BASE_ENCODER, ServingEncoder, serving_encoder, serving_encoder_forget
from retrieval.store import collection_drop
from retrieval.sync import index_switch
from retrieval.tuning import SOURCES, Pair, TuningConfig, finetune, held_out, listing_need, ranking_quality

logger = logging.getLogger(__name__)
Status = EmbeddingVersion.Status
VISITOR_SIGNALS = (Evidence.Signal.SATISFIED, Evidence.Signal.UP, Evidence.Signal.CLICK)
PROGRESS_EVERY = 5  # steps between progress writes
SPLITS = ("train", "held_out")


class EncoderVersionRefused(Exception):
    """A promote or roll back that cannot happen, with the reason for the admin."""


def embedding_version_start(*, steps: int | None = None) -> EmbeddingVersion:
    """Record a version to fine-tune from the encoder serving now, and enqueue its training."""
    config = TuningConfig(
        steps=settings.ENCODER_TUNING_STEPS if steps is None else steps,
        batch_size=settings.ENCODER_TUNING_BATCH,
        learning_rate=settings.ENCODER_TUNING_LEARNING_RATE,
        base_share=settings.ENCODER_TUNING_BASE_SHARE,
    )
    if config.steps < 1:
        raise ValueError(f"steps must be at least 1, not {config.steps}")
    with transaction.atomic():
        number = (EmbeddingVersion.objects.aggregate(last=Max("number"))["last"] or 0) + 1
        version = EmbeddingVersion.objects.create(
            number=number, base_model=serving_encoder().model or settings.EMBEDDING_MODEL, config=vars(config)
        )
        enqueue("retrieval.tasks.embedding_version_train", version.pk)
    return version


def training_pairs(documents: dict[str, str]) -> list[Pair]:
    """What visitors' needs found (each need and add-on once), then one need per listing from its summary."""
    visitors = (
        Evidence.objects.filter(signal__in=VISITOR_SIGNALS, addon__slug__in=documents)
        .values_list("need", "addon__slug")
        .distinct()
    )
    pairs = [Pair(need, slug, "visitors") for need, slug in visitors]
    for slug, name, summary in Addon.objects.filter(slug__in=documents).values_list("slug", "name", "summary_text"):
        if need := listing_need(name, summary):
            pairs.append(Pair(need, slug, "catalogue"))
    return pairs


def _report(version_id: int, **fields: object) -> None:
    EmbeddingVersion.objects.filter(pk=version_id).update(**fields)


def embedding_version_train(*, version_id: int) -> EmbeddingVersion:
    """Fine-tune, then judge on held-out needs against the encoder serving now; the row says how it went."""
    version = EmbeddingVersion.objects.get(pk=version_id)
    _report(version_id, status=Status.TRAINING, progress="gathering pairs")
    try:
        addons = Addon.objects.filter(is_active=True).prefetch_related("categories")
        documents = {addon.slug: addon_text(addon) for addon in addons.iterator(chunk_size=1000)}
        split: dict[str, dict[str, list[Pair]]] = {name: {source: [] for source in SOURCES} for name in SPLITS}
        for pair in training_pairs(documents):
            split["held_out" if held_out(pair.slug) else "train"][pair.source].append(pair)
        counts = {
            name: {source: len(pairs) for source, pairs in by_source.items()} for name, by_source in split.items()
        }
        train = [pair for pairs in split["train"].values() for pair in pairs]
        if not train or not any(split["held_out"].values()):
            raise ValueError("the catalogue is too small to train and judge an encoder")
        config = TuningConfig(**version.config)
        history: list[list[float]] = []

        def on_step(step: int, loss: float) -> None:
            history.append([step, round(loss, 4)])
            if step % PROGRESS_EVERY == 0 or step == config.steps:
                _report(version_id, progress=f"training: step {step} of {config.steps}", loss_history=history)

        _report(version_id, counts=counts, progress=f"training: step 0 of {config.steps}")
        path = settings.ENCODER_VERSIONS_DIR / f"v{version.number}"
        finetune(version.base_model, [(pair.need, documents[pair.slug]) for pair in train], path, config,
                 on_step=on_step)  # fmt: skip
        _report(version_id, status=Status.EVALUATING, path=str(path), progress="judging on held-out needs")
        serving, sets = serving_encoder(), split["held_out"]
        before = ranking_quality(embeddings(serving.model), sets, documents)
        after = ranking_quality(embeddings(str(path)), sets, documents)
        metrics = {  # the visitors' held-out needs decide; the catalogue's are shown beside them
            "needs": len(sets["visitors"]),
            "serving_version": serving.version,  # None: the base model
            "serving": before["visitors"],
            "candidate": after["visitors"],
            "catalogue": {
                "needs": len(sets["catalogue"]),
                "serving": before["catalogue"],
                "candidate": after["catalogue"],
            },
        }
    except Exception as error:  # noqa: BLE001 - stored for the admin, logged in full
        logger.exception("fine-tuning encoder v%s failed", version.number)
        _report(version_id, status=Status.FAILED, finished_at=timezone.now(), error=f"{type(error).__name__}: {error}")
    else:
        _report(version_id, status=Status.READY, metrics=metrics, finished_at=timezone.now(), progress="")
    return EmbeddingVersion.objects.get(pk=version_id)


def embedding_version_promote(*, version: EmbeddingVersion) -> EmbeddingVersion:
    """Enqueue the switch to `version`: refused unless it is ready and beat the encoder serving on held-out needs."""
    if version.status != Status.READY:
        raise EncoderVersionRefused(f"{version} is {version.get_status_display().lower()}, not ready to promote.")
    judged_against = version.metrics.get("serving_version")
    if judged_against != serving_encoder().version:
        raise EncoderVersionRefused(
            f"{version} was judged against {f'v{judged_against}' if judged_against else 'the base encoder'}, which "
            "no longer serves: fine-tune a new version from the one serving now."
        )
    if version.metrics.get("needs", 0) < settings.ENCODER_MIN_JUDGED_NEEDS:
        raise EncoderVersionRefused(
            f"{version} was judged on {version.metrics.get('needs', 0)} held-out visitors' needs; promoting takes at "
            f"least {settings.ENCODER_MIN_JUDGED_NEEDS} (ENCODER_MIN_JUDGED_NEEDS): let visitors vote a while longer."
        )
    if not version.beats_serving:
        serving, candidate = version.metrics.get("serving", {}), version.metrics.get("candidate", {})
        raise EncoderVersionRefused(
            f"{version} does not beat the encoder serving on held-out needs (nDCG@5 {candidate.get('nDCG@5', 0):.3f} "
            f"against {serving.get('nDCG@5', 0):.3f}): it is not promoted."
        )
    with transaction.atomic():
        _report(version.pk, status=Status.INDEXING, progress="re-embedding the index")
        enqueue("retrieval.tasks.encoder_switch", version.pk)
    version.refresh_from_db()
    return version


def embedding_version_rollback() -> EmbeddingVersion | None:
    """Enqueue the switch back to what served before the serving version: the version promoted before it that
    is still on disk, or the base model. Returns that version (None: the base model)."""
    serving = EmbeddingVersion.objects.filter(status=Status.SERVING).first()
    if serving is None:
        raise EncoderVersionRefused("The base encoder serves: there is nothing to roll back.")
    previous = (
        EmbeddingVersion.objects.filter(status=Status.RETIRED, promoted_at__lt=serving.promoted_at)
        .order_by("-promoted_at")
        .first()
    )
    with transaction.atomic():
        if previous is not None:
            _report(previous.pk, status=Status.INDEXING, progress="re-embedding the index")
        enqueue("retrieval.tasks.encoder_switch", previous.pk if previous else 0)
    return previous


def _encoder_of(version: EmbeddingVersion | None) -> ServingEncoder:
    return ServingEncoder(version.path, version.collection_suffix, version.number) if version else BASE_ENCODER


def encoder_switch(*, version_id: int) -> None:
    """The job: fill the collection of version `version_id` (0: the base model), make it serve, retire the one
    serving, and drop the collections of versions neither serving nor next in line for a roll back."""
    target = EmbeddingVersion.objects.filter(pk=version_id).first() if version_id else None
    replaced = EmbeddingVersion.objects.filter(status=Status.SERVING).first()

    def switch() -> None:
        with transaction.atomic():
            if replaced is not None:
                _report(replaced.pk, status=Status.RETIRED)
            if target is not None:
                _report(target.pk, status=Status.SERVING, promoted_at=timezone.now(), progress="")
        serving_encoder_forget()

    try:
        report = index_switch(_encoder_of(target), switch)
    except Exception as error:  # noqa: BLE001 - stored for the admin, logged in full
        logger.exception("switching the encoder to v%s failed", version_id)
        if target is not None:
            back = Status.READY if target.promoted_at is None else Status.RETIRED
            _report(target.pk, status=back, progress="", error=f"switch failed: {type(error).__name__}: {error}")
        return
    logger.info("encoder %s serves (%s add-ons embedded)", target or "base", report.embedded)
    keep = {replaced.pk if replaced else None, target.pk if target else None}
    for retired in EmbeddingVersion.objects.filter(status=Status.RETIRED).exclude(pk__in=[pk for pk in keep if pk]):
        collection_drop(_encoder_of(retired))
