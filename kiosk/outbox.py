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


# One delivery batch holds at most this many sealed payload bytes (always at least one
# row), so a queue of large actions (written reports with pages or recordings) never
# makes a request body the server refuses whole (KIOSK_CENTRAL_MAX_API_BODY_BYTES, 128
# MiB by default; base64 adds a third).
BATCH_MAX_BYTES = 16 * 1024 * 1024


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


def pending(store: Store, limit: int = 50, max_bytes: int = BATCH_MAX_BYTES) -> list[OutboxItem]:
    """The oldest undelivered rows: at most ``limit``, and ``max_bytes`` of payload
    (but always the first one)."""
    with store.session() as s:
        sizes = s.execute(select(Outbox.seq, func.length(Outbox.payload_sealed))
                          .where(Outbox.delivered_at.is_(None))
                          .order_by(Outbox.seq).limit(limit)).all()
        chosen, total = [], 0
        for seq, size in sizes:
            if chosen and total + (size or 0) > max_bytes:
                break
            chosen.append(seq)
            total += size or 0
        if not chosen:
            return []
        rows = s.scalars(select(Outbox).where(Outbox.seq.in_(chosen)).order_by(Outbox.seq)).all()
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
