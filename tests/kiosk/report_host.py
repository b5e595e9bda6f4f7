"""A stand-in for the parts of ``KioskCore`` the written-report side uses (camera,
microphone, store, clock), and a way to put a photo in front of the file camera."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import cv2
import numpy as np

from kiosk.clock import Clock
from kiosk.errors import FlowError
from kiosk.report_mixin import WrittenReportMixin

PERSON = 7


class FixedClock(Clock):
    def now(self) -> dt.datetime:
        return dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.timezone.utc)


class Person:
    def __init__(self, person_id: int = PERSON) -> None:
        self.id = person_id


class ReportHost(WrittenReportMixin):
    """The parts of KioskCore the report side uses: camera, microphone, store, clock."""

    def __init__(self, store, camera, microphone, person_id: int = PERSON) -> None:
        self.store, self.camera, self.microphone = store, camera, microphone
        self.clock = FixedClock()
        self.person = Person(person_id)
        self.pokes = 0

    def _require_person(self):
        if self.person is None:
            raise FlowError("session.error.no_person")
        return self.person

    def camera_frame(self):
        return self.camera.read_unpaced()

    def _store(self):
        return self.store

    def _poke(self):
        self.pokes += 1


def show(folder: Path, image: np.ndarray) -> None:
    """Put one photo in front of the file camera (dot-file then rename, as it expects)."""
    for old in folder.glob("*.png"):
        old.unlink()
    tmp = folder / ".next.png"
    cv2.imwrite(str(tmp), image)
    tmp.rename(folder / f"photo{np.random.randint(1_000_000)}.png")
