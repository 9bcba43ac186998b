"""Shared fixtures: paths to the shared datasets (tests that need them skip when absent)."""
from __future__ import annotations

from pathlib import Path

import pytest

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
