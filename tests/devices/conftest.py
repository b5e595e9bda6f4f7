"""Fixtures for these tests: the shared real media (../shared/data), skipped when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path:
    """Folder of the shared evaluation media: $KIOSK_SHARED_DATA or <repo>/../shared/data."""
    configured = os.environ.get("KIOSK_SHARED_DATA")
    return Path(configured) if configured else (REPO.parent / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared media folder; tests that need it skip with the reason when it is missing."""
    folder = shared_data_dir()
    if not (folder / "faces").is_dir():
        pytest.skip(f"shared media not found at {folder} (set KIOSK_SHARED_DATA to its path)")
    return folder
