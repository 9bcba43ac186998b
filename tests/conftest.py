"""Shared fixtures: paths to the shared datasets (tests that need them skip when absent), the demo catalogue
indexed once per module, and the jobs a broker would receive."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import override_settings

from marketplace.jobs import jobs_wait
from marketplace.models import Addon, Category
from marketplace.services import demo_catalog_load

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO_ROOT.parent / "shared" / "datasets"


def shared_dataset(name: str) -> Path:
    path = SHARED_DATASETS / name
    if not path.exists():
        pytest.skip(f"shared dataset {path} is not present on this machine")
    return path


@pytest.fixture
def amo_catalog_path() -> Path:
    return shared_dataset("amo-catalog.json")


@pytest.fixture(autouse=True)
def isolated_index(settings, tmp_path):
    """Each test gets its own empty Chroma folder, never the developer's var/chroma."""
    settings.CHROMA_PATH = tmp_path / "chroma"
    settings.CHROMA_URL = ""


@pytest.fixture(autouse=True)
def unthrottled_api(settings):
    """The suite calls /api/recommend far more often than a visitor may; test_api.py tests the limit itself."""
    settings.API_RATE_LIMIT = 1_000_000


@pytest.fixture
def sent(settings, monkeypatch):
    """With a broker configured: the jobs that would go to a Celery worker, as (task name, args)."""
    from marketplace.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    calls: list[tuple[str, tuple]] = []
    monkeypatch.setattr(app, "send_task", lambda name, args=(), **options: calls.append((name, tuple(args))))
    return calls


@pytest.fixture(scope="module")
def demo_index_path(django_db_setup, django_db_blocker, tmp_path_factory):
    path = tmp_path_factory.mktemp("demo-index")
    with django_db_blocker.unblock(), override_settings(CHROMA_PATH=path, CHROMA_URL=""):
        demo_catalog_load()  # commits, so the index sync job embeds into `path`
        jobs_wait()
    yield path
    with django_db_blocker.unblock():
        Addon.objects.all().delete()
        Category.objects.all().delete()


@pytest.fixture
def demo_catalog(demo_index_path, settings, db):
    """The demo catalogue in the database and its index in use by retrieval.

    Transactional tests flush the database after each test; reloading is cheap because the index
    already holds every add-on with the same content hash, so nothing is embedded again.
    """
    settings.CHROMA_PATH = demo_index_path
    if not Addon.objects.exists():
        demo_catalog_load()
        jobs_wait()
    return demo_index_path
