"""Background delivery of the outbox and refresh of the roster.

Runs in one daemon thread. Each round: deliver pending outbox rows oldest first, in
batches, stopping at the first failure so order is kept; then, every
``roster_every`` rounds, refresh the roster. The server answers "duplicate" for a key it
already has, so a batch re-sent after a lost answer is stored once. An event the server
answers "rejected" is settled, its reason kept in ``outbox.last_error``, so one bad event
never blocks the ones behind it.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Callable

from kiosk import outbox
from kiosk.clock import Clock
from kiosk.roster import apply_roster
from kiosk.store import Store
from server_api.client import CentralClient, CentralError, CentralRejected
from server_api.contract import Event

log = logging.getLogger(__name__)


@dataclass
class SyncStatus:
    online: bool = False
    last_success: object = None
    last_error: str = ""
    delivered: int = 0
    rejected: int = 0


class Syncer:
    def __init__(self, store: Store, client: CentralClient | None, clock: Clock,
                 interval_s: float = 3.0, roster_every: int = 10,
                 on_roster: Callable[[], None] | None = None) -> None:
        self.store, self.client, self.clock = store, client, clock
        self.interval_s = interval_s
        self.roster_every = roster_every
        self.on_roster = on_roster
        self.status = SyncStatus()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._round = 0
        self._lock = threading.Lock()  # the loop and a staff "sync now" never overlap

    def start(self) -> None:
        if self.client is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="outbox-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)
            self._thread = None

    def poke(self) -> None:
        """Deliver now rather than at the next interval (after a new action)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._wake.wait(self.interval_s)
            self._wake.clear()

    def sync_now(self) -> bool:
        """Deliver the outbox and refresh the roster now (staff command); True on success."""
        return self.run_once(roster=True)

    def run_once(self, roster: bool = False) -> bool:
        """One round; True when everything pending was delivered."""
        with self._lock:
            return self._round_locked(roster)

    def _round_locked(self, roster: bool) -> bool:
        try:
            done = self.deliver()
            if roster or self._round % self.roster_every == 0:
                self.refresh_roster()
            self._round += 1
            self.status.online = True
            self.status.last_success = self.clock.now()
            self.status.last_error = ""
            return done
        except CentralError as exc:
            self.status.online = False
            self.status.last_error = type(exc).__name__
            log.info("sync deferred: %s", type(exc).__name__)
            return False

    def deliver(self) -> bool:
        assert self.client is not None
        while True:
            rows = outbox.pending(self.store, limit=50)
            if not rows:
                return True
            events = [Event(idempotency_key=r.key, kind=r.kind, person_id=r.person_id,
                            occurred_at=r.occurred_at.replace(tzinfo=dt.timezone.utc),
                            payload=r.payload) for r in rows]
            keys = [r.key for r in rows]
            try:
                answer = self.client.post_events(events)
            except CentralRejected as exc:
                # A refused batch stays queued (it may be a revoked terminal); staff see
                # the outbox depth. Nothing is dropped.
                outbox.mark_failed(self.store, keys, f"{exc.code}")
                raise
            except CentralError as exc:
                outbox.mark_failed(self.store, keys, type(exc).__name__)
                raise
            rejected = {r.idempotency_key: r.code for r in answer.results if r.status == "rejected"}
            for key, code in rejected.items():
                # Settled, not lost: the action stays in this terminal's store with the
                # reason, and the outbox moves on.
                log.warning("central refused event %s: %s", key, code)
                outbox.mark_failed(self.store, [key], f"rejected:{code}")
            outbox.mark_delivered(self.store, keys, self.clock.now())
            self.status.delivered += len(keys) - len(rejected)
            self.status.rejected += len(rejected)

    def refresh_roster(self) -> None:
        assert self.client is not None
        apply_roster(self.store, self.client.roster())
        if self.on_roster:
            self.on_roster()
