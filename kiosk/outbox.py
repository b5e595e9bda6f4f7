"""The outbox: actions waiting to reach the central server, in the order they happened."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kiosk.clock import naive_utc
from kiosk.store import Store
from kiosk.store.models import Outbox


def new_key() -> str:
    return uuid.uuid4().hex


def enqueue(session: Session, *, key: str, kind: str, person_id: int,
            occurred_at: dt.datetime, payload: dict[str, Any]) -> None:
    """Add one row; call inside the transaction that writes the action itself."""
    session.add(Outbox(key=key, kind=kind, person_id=person_id,
                       occurred_at=naive_utc(occurred_at), payload=payload))


def pending(store: Store, limit: int = 50) -> list[Outbox]:
    with store.session() as s:
        rows = s.scalars(select(Outbox).where(Outbox.delivered_at.is_(None))
                         .order_by(Outbox.seq).limit(limit)).all()
        s.expunge_all()
        return list(rows)


def depth(store: Store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(Outbox)
                        .where(Outbox.delivered_at.is_(None))) or 0


def mark_delivered(store: Store, keys: list[str], at: dt.datetime) -> None:
    with store.session() as s:
        s.execute(update(Outbox).where(Outbox.key.in_(keys)).values(delivered_at=naive_utc(at)))


def mark_failed(store: Store, keys: list[str], error: str) -> None:
    with store.session() as s:
        s.execute(update(Outbox).where(Outbox.key.in_(keys))
                  .values(attempts=Outbox.attempts + 1, last_error=error[:500]))


def has_pending(store: Store, kind: str, person_id: int) -> bool:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(Outbox).where(
            Outbox.delivered_at.is_(None), Outbox.kind == kind,
            Outbox.person_id == person_id)) > 0
