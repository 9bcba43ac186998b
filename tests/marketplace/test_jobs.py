"""One way to start a job: by task name, after commit; a broker's worker runs it, else a background thread."""

from __future__ import annotations

import threading

import pytest

from marketplace import jobs


def test_with_a_broker_the_job_is_sent_by_name_after_commit(db, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue("retrieval.tasks.index_sync", ["a", "b"])
        assert sent == []  # nothing leaves before the transaction commits
    assert sent == [("retrieval.tasks.index_sync", (["a", "b"],))]


def test_without_a_broker_the_job_runs_in_a_background_thread(
    db, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    ran = []
    release = threading.Event()
    task = jobs.task_named("retrieval.tasks.index_rebuild")

    def apply(args=()):
        release.wait(10)
        ran.append((threading.current_thread().name, args))

    monkeypatch.setattr(task, "apply", apply)
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue("retrieval.tasks.index_rebuild")
    assert ran == [] and not jobs.jobs_wait(timeout=0.2)  # the caller goes on while the job runs
    release.set()
    assert jobs.jobs_wait(timeout=10) and ran == [("job-retrieval.tasks.index_rebuild", ())]


def test_an_unknown_task_name_fails_where_it_is_asked_for(db, sent):
    with pytest.raises(jobs.UnknownTask, match="retrieval.tasks.index_synk"):
        jobs.enqueue("retrieval.tasks.index_synk")
    assert sent == []
