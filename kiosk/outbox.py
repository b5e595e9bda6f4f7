"""The outbox: actions waiting to reach the central server, in the order they happened.

Payloads are sealed at rest (they carry snapshots, templates and voice samples).
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kiosk.clock import naive_utc
from kiosk.store import Store
from kiosk.store.models import Outbox


@dataclass(frozen=True)
class OutboxItem:
    seq: int
    key: str
    kind: str
    person_id: int
    occurred_at: dt.datetime  # naive UTC
    payload: dict[str, Any]


def new_key() -> str:
    return uuid.uuid4().hex


def _context(key: str) -> str:
    return f"outbox:{key}"


def enqueue(session: Session, *, key: str, kind: str, person_id: int,
            occurred_at: dt.datetime, payload: dict[str, Any]) -> None:
    """Add one row; call inside the transaction that writes the action itself."""
    sealed = session.info["sealer"].seal(json.dumps(payload, ensure_ascii=False).encode(),
                                         _context(key))
    session.add(Outbox(key=key, kind=kind, person_id=person_id,
                       occurred_at=naive_utc(occurred_at), payload_sealed=sealed))


def pending(store: Store, limit: int = 50) -> list[OutboxItem]:
    with store.session() as s:
        rows = s.scalars(select(Outbox).where(Outbox.delivered_at.is_(None))
                         .order_by(Outbox.seq).limit(limit)).all()
        return [OutboxItem(r.seq, r.key, r.kind, r.person_id, r.occurred_at,
                           json.loads(store.sealer.open(r.payload_sealed, _context(r.key))))
                for r in rows]


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


def last_delivered(store: Store) -> dt.datetime | None:
    """When the newest delivered action reached the server (aware UTC), if any."""
    with store.session() as s:
        at = s.scalar(select(func.max(Outbox.delivered_at)))
    return at.replace(tzinfo=dt.timezone.utc) if at is not None else None
