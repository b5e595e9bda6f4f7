"""The one engine and session factory of the server process.

SQLite (the embedded default) runs in WAL mode with ``synchronous=FULL`` and foreign keys
on, so an acknowledged write survives a power cut and readers never block the writer.
PostgreSQL is used as given by its URL (``postgresql+psycopg://...``). Statement
parameters are hidden from error messages and logs: they may hold secrets' digests, face
templates or personal data.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Per-connection SQLite settings (they are not persistent, except WAL)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(database_url: str) -> Engine:
    """Create the engine for a URL; for a SQLite file, create its folder first."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10},
                               hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


class Database:
    """Engine plus session factory; ``session()`` commits on success, rolls back on error.

    On SQLite the ``sqlite3`` driver opens a transaction only at the first INSERT, UPDATE
    or DELETE; until then each statement stands alone, and a SAVEPOINT issued then starts
    a transaction that its RELEASE commits. ``session(write=True)`` therefore begins the
    transaction at once (``BEGIN IMMEDIATE``, taking the write lock and waiting for it up
    to the busy timeout): use it whenever the work uses SAVEPOINTs (``begin_nested()``).
    """

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.engine = make_engine(database_url)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        with self.session_factory() as session:
            try:
                if write and self.dialect == "sqlite":
                    session.connection().exec_driver_sql("BEGIN IMMEDIATE")
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - any failure means "not reachable"
            return False

    def dispose(self) -> None:
        self.engine.dispose()
