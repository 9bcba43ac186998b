"""Shared fixtures: paths to the shared datasets (tests that need them skip when absent), the demo catalogue
indexed once per session (each module gets a copy of that index), and the jobs a broker would receive."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.test import override_settings

from marketplace.jobs import jobs_wait
from marketplace.models import Addon, Category
from marketplace.services import demo_catalog_load
from retrieval.selectors import serving_encoder_forget

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
    """Each test gets its own empty Chroma folder, never the developer's var/chroma, and asks afresh which
    encoder serves (a version promoted by an earlier test is gone with its database)."""
    settings.CHROMA_PATH = tmp_path / "chroma"
    settings.CHROMA_URL = ""
    settings.ENCODER_VERSIONS_DIR = tmp_path / "encoders"
    serving_encoder_forget()


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


def _demo_catalog_indexed_into(path: Path) -> None:
    with override_settings(CHROMA_PATH=path, CHROMA_URL=""):
        demo_catalog_load()  # commits, so the index sync job embeds into `path`
        jobs_wait()


@pytest.fixture(scope="session")
def demo_index_built(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo catalogue embedded once (both encoders: the slow part), then taken out of the database."""
    path = tmp_path_factory.mktemp("demo-index-built")
    with django_db_blocker.unblock():
        _demo_catalog_indexed_into(path)
        Addon.objects.all().delete()
        Category.objects.all().delete()
    return path


@pytest.fixture(scope="module")
def demo_index_path(demo_index_built, django_db_blocker, tmp_path_factory):
    """A copy of the built index, with the demo catalogue loaded again: the sync finds every add-on unchanged."""
    path = tmp_path_factory.mktemp("demo-index") / "chroma"
    shutil.copytree(demo_index_built, path)
    with django_db_blocker.unblock():
        _demo_catalog_indexed_into(path)
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
