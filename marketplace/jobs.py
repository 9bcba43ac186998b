"""The one way to start a background job: by its Celery task name, once the current transaction commits.

Services name the task they want run (`enqueue("retrieval.tasks.index_sync", slugs)`) instead of
importing it, so imports run from tasks to services and never back. With a broker (REDIS_URL) a
Celery worker runs the job. Without one (the embedded default) it runs in a background thread of
this process, never inside the request or command that asked for it, at most JOBS_CONCURRENCY at a
time (like a worker's concurrency: twelve import batches do not embed at once on two cores);
`jobs_wait()` lets a command (or a test) wait for those threads before it exits.
"""

from __future__ import annotations

import logging
import threading
import time

from celery import Task
from django.conf import settings
from django.db import connections, transaction

from marketplace.celery import app

logger = logging.getLogger(__name__)
_threads: set[threading.Thread] = set()
_threads_lock = threading.Lock()
_slots = threading.BoundedSemaphore(max(1, settings.JOBS_CONCURRENCY))


class UnknownTask(LookupError):
    """No Celery task has that name: a typo caught where the job is asked for, not in a worker's log."""


def task_named(task_name: str) -> Task:
    app.loader.import_default_modules()  # registers every app's tasks, as a worker does at start
    try:
        return app.tasks[task_name]
    except KeyError:
        raise UnknownTask(f"no Celery task is named {task_name!r}") from None


def enqueue(task_name: str, *args: object) -> None:
    """Run the Celery task `task_name` with `args` after the current transaction commits."""
    task = task_named(task_name)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(lambda: _start_thread(task, args))
    else:
        transaction.on_commit(lambda: app.send_task(task_name, args=args))


def _start_thread(task: Task, args: tuple) -> None:
    def run() -> None:
        try:
            with _slots:
                task.apply(args=args)  # eager: failures are logged by Celery and kept in the result
        finally:
            connections.close_all()
            with _threads_lock:
                _threads.discard(thread)

    thread = threading.Thread(target=run, name=f"job-{task.name}", daemon=True)
    with _threads_lock:
        _threads.add(thread)
    thread.start()


def jobs_wait(timeout: float | None = None) -> bool:
    """Wait for this process's background jobs (and the jobs they start); False if some still run."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        with _threads_lock:
            running = [thread for thread in _threads if thread.is_alive()]
        if not running:
            return True
        for thread in running:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            thread.join(left)
