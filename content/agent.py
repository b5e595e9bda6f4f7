"""A daemon thread that runs ``ContentUpdater.update_once`` now and then (and on a poke)."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from content.updater import ContentUpdater

log = logging.getLogger(__name__)
UPDATE_INTERVAL_S = 300.0  # TUF's timestamp is small: checking every 5 min costs ~1 kB


class ContentAgent:
    def __init__(self, updater: ContentUpdater, interval_s: float = UPDATE_INTERVAL_S,
                 on_change: Callable[[], None] | None = None) -> None:
        """``on_change()`` runs when the version or the refusal changed (the kiosk applies
        the signed configuration and sends a heartbeat then)."""
        self.updater, self.interval_s, self.on_change = updater, interval_s, on_change
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.updater.client is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="content", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def run_once(self) -> None:
        """One update; ``on_change()`` when the version or the refusal changed."""
        before = self.updater.status
        after = self.updater.update_once()
        if self.on_change and (after.version, after.error) != (before.version, before.error):
            self.on_change()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - the last good content stays; try later
                log.exception("content update round failed")
            self._wake.wait(self.interval_s)
            self._wake.clear()
