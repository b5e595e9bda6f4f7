"""呼叫工作人员: a call for help from any screen, recorded and sent to the console."""
from __future__ import annotations

from kiosk import outbox
from kiosk.clock import Clock, naive_utc
from kiosk.store import Store
from kiosk.store.models import StaffCall
from server_api.contract import EventKind


def record_call(store: Store, clock: Clock, person_id: int, screen: str) -> str:
    key = outbox.new_key()
    now = clock.now()
    with store.session() as s:
        s.add(StaffCall(key=key, person_id=person_id, screen=screen[:50], at=naive_utc(now)))
        outbox.enqueue(s, key=key, kind=EventKind.staff_call.value, person_id=person_id,
                       occurred_at=now, payload={"screen": screen[:50]})
    return key
