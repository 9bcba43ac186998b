"""Writes for index rebuilds started from admin: record, enqueue, run with the outcome stored."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from marketplace.jobs import enqueue
from retrieval.models import IndexRebuild
from retrieval.sync import index_rebuild

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
