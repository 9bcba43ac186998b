"""The demo catalogue loaded and indexed once per module, removed afterwards."""
from __future__ import annotations

import pytest
from django.test import override_settings

from marketplace.models import Addon, Category
from marketplace.services import demo_catalog_load


@pytest.fixture(scope="module")
def demo_index_path(django_db_setup, django_db_blocker, tmp_path_factory):
    path = tmp_path_factory.mktemp("demo-index")
    with django_db_blocker.unblock(), override_settings(CHROMA_PATH=path, CHROMA_URL=""):
        demo_catalog_load()  # commits, so the eager index sync embeds into `path`
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
    return demo_index_path
