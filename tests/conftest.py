"""Fixtures shared by the whole suite.

The real media live beside the checkout in ``../shared/data`` (or where
``KIOSK_SHARED_DATA`` points). Tests read them in place; where they are absent, the
tests that need them skip with that reason and everything else still runs.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("KIOSK_SHARED_DATA", REPO.parent / "shared" / "data"))
SCREENSHOTS = REPO / "test-output" / "screenshots"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "faces").is_dir():
        pytest.skip(f"real media not found at {SHARED_DATA} (set KIOSK_SHARED_DATA)")
    return SHARED_DATA


def pytest_collection_modifyitems(config, items):
    """The Kivy UI tours first (each takes 15-75 s, mostly waiting on the screen): run in
    parallel processes, the long ones then start early and the short ones fill the gaps,
    instead of a 75 s tour starting last while the other processes have finished."""
    items.sort(key=lambda item: item.get_closest_marker("ui") is None)
