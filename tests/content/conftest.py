"""Fixtures of the content-update tests: a real central server on loopback (SQLite)."""
from __future__ import annotations

import pytest

from tests.content.helpers import start_central


@pytest.fixture
def central(tmp_path):
    server, stop = start_central(tmp_path)
    try:
        yield server
    finally:
        stop()
