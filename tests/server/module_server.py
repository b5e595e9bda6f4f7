"""A module-scoped database for server tests that do not need a fresh one per test,
and a clock the tests move forward (``start_server(..., clock=...)``)."""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

import pytest

from tests.staff_console import PG_UNREACHABLE, postgres_available, postgres_database

# Parametrise a module-scoped fixture with these to run a module on both databases.
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


class FakeClock:
    """The servers' clock: aware UTC, moved forward by the tests."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@contextlib.contextmanager
def module_database(kind: str, tmp_path_factory) -> Iterator[str]:
    """A fresh SQLite file or PostgreSQL database (skipped when unreachable); its URL."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'central.db'}"
        return
    if not postgres_available():
        pytest.skip(PG_UNREACHABLE)
    with postgres_database() as url:
        yield url
