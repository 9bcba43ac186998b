"""The dialogue tests are plain Python: no database, no index."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_index():
    """Overrides the suite-wide fixture: nothing here touches Chroma or Django settings."""
