"""Test fixtures shared by every layer.

Real public data lives in ``../shared/data`` beside the checkout (see its README). Tests that
need it take the ``shared_data`` fixture and skip with a reason when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ASSETS = Path(__file__).resolve().parent / "assets"


def _shared_data_dir() -> Path:
    env = os.environ.get("PSIRT_SHARED_DATA")
    if env:
        return Path(env)
    return REPO.parent / "shared" / "data"


SHARED_DATA = _shared_data_dir()


def require_shared(*parts: str) -> Path:
    """Path below ../shared/data, or skip the calling test when it is not there."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing, and CI must run every test that reads shared data")
        pytest.skip(f"shared data not available: {path}")
    return path


@pytest.fixture
def shared_data() -> Path:
    return require_shared()
