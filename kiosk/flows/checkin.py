"""报到: a check-in, durable before the screen confirms it."""
from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

from kiosk import outbox
from kiosk.clock import Clock, as_local, naive_utc
from kiosk.store import Store
from kiosk.store.models import Checkin
from server_api.contract import EventKind


@dataclass(frozen=True)
class CheckinReceipt:
    key: str
    at: dt.datetime  # local (China Standard Time)

    @property
    def record_no(self) -> str:
        """A short number the person can quote to staff; not a secret."""
        return f"{self.at:%Y%m%d}-{self.key[:6].upper()}"


def check_in(store: Store, clock: Clock, person_id: int, match_score: float,
             snapshot_jpeg: bytes | None) -> CheckinReceipt:
    key = outbox.new_key()
    now = clock.now()
    with store.session() as s:
        sealed = store.sealer.seal(snapshot_jpeg, f"snapshot:{key}") if snapshot_jpeg else None
        s.add(Checkin(key=key, person_id=person_id, at=naive_utc(now),
                      match_score=match_score, snapshot_jpeg=sealed))
        outbox.enqueue(s, key=key, kind=EventKind.checkin.value, person_id=person_id,
                       occurred_at=now, payload={
                           "match_score": round(float(match_score), 4),
                           "snapshot_jpeg_b64": base64.b64encode(snapshot_jpeg).decode()
                           if snapshot_jpeg else None})
    return CheckinReceipt(key=key, at=as_local(naive_utc(now)))
