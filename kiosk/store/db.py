"""Engine and sessions for the terminal's SQLite file.

``journal_mode=WAL`` with ``synchronous=FULL``: a commit returns only once the WAL is
on disk, so a screen that says "done" after a commit survives a power cut or SIGKILL.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from kiosk.sealing import Sealer
from kiosk.store.migrate import upgrade_to_head


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


class Store:
    """One engine and session factory per process, and the terminal's sealing key.

    Every session carries the sealer in ``session.info["sealer"]`` so code that writes
    sensitive values inside a unit of work can seal them without another argument.
    """

    def __init__(self, engine: Engine, sealer: Sealer) -> None:
        self.engine = engine
        self.sealer = sealer
        self._factory = sessionmaker(engine, expire_on_commit=False, info={"sealer": sealer})

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed together on success, rolled back whole on error."""
        with self._factory() as s:
            with s.begin():
                yield s

    def close(self) -> None:
        self.engine.dispose()


def open_store(path: Path) -> Store:
    """Open (creating and migrating) the store; its key is ``secret.key`` beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sealer = Sealer.from_key_file(path.with_name("secret.key"))
    engine = create_engine(f"sqlite:///{path}", future=True)
    event.listen(engine, "connect", _sqlite_pragmas)
    upgrade_to_head(engine)
    return Store(engine, sealer)
