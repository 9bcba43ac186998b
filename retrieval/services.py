"""Writes for index rebuilds started from admin (record, enqueue, run with the outcome stored) and for the
evidence the feedback memory learns from."""

from __future__ import annotations

import logging
from datetime import timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from marketplace.jobs import enqueue
from marketplace.models import Addon
from retrieval.embedder import query_vector
from retrieval.feedback import HALF_LIFE_DAYS
from retrieval.models import Evidence, IndexRebuild
from retrieval.selectors import feedback_memory_forget
from retrieval.sync import index_rebuild

EVIDENCE_KEPT_DAYS = 4 * HALF_LIFE_DAYS  # older evidence weighs under a sixteenth: pruned

logger = logging.getLogger(__name__)


def index_rebuild_start() -> IndexRebuild:
    """Record a rebuild and enqueue it once the record is committed."""
    with transaction.atomic():
        rebuild = IndexRebuild.objects.create()
        enqueue("retrieval.tasks.index_rebuild", rebuild.pk)
    return rebuild


def index_rebuild_run(*, rebuild_id: int) -> IndexRebuild:
    """Drop the index and embed the catalogue again; the record says how it went."""
    IndexRebuild.objects.filter(pk=rebuild_id).update(status=IndexRebuild.Status.RUNNING, started_at=timezone.now())
    try:
        report = index_rebuild().as_dict()
    except Exception as error:  # noqa: BLE001 - stored for the admin, logged in full
        logger.exception("index rebuild #%s failed", rebuild_id)
        IndexRebuild.objects.filter(pk=rebuild_id).update(
            status=IndexRebuild.Status.FAILED, finished_at=timezone.now(), error=f"{type(error).__name__}: {error}"
        )
    else:
        IndexRebuild.objects.filter(pk=rebuild_id).update(
            status=IndexRebuild.Status.SUCCEEDED, finished_at=timezone.now(), report=report
        )
    return IndexRebuild.objects.get(pk=rebuild_id)


def evidence_record(*, need: str, slug: str, signal: str, session: str, client: str) -> Evidence | None:
    """Remember what a visitor did with a card for a need: once per session, add-on and signal (a hundred
    votes from one chat are one). None when the add-on or the need is gone."""
    addon = Addon.objects.filter(slug=slug).only("pk").first()
    if addon is None or not need.strip():
        return None
    vector = np.asarray(query_vector(need), dtype=np.float32).tobytes()
    evidence, _ = Evidence.objects.get_or_create(
        session=session,
        addon=addon,
        signal=signal,
        defaults={"need": need, "vector": vector, "client": client or session},
    )
    feedback_memory_forget()  # this process searches with it at once; others within FEEDBACK_REFRESH_SECONDS
    return evidence


def evidence_prune() -> int:
    """Drop evidence too old to weigh anything; returns how many rows went."""
    cutoff = timezone.now() - timedelta(days=EVIDENCE_KEPT_DAYS)
    deleted, _ = Evidence.objects.filter(created_at__lt=cutoff).delete()
    feedback_memory_forget()
    return deleted
