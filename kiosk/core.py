"""The kiosk's application core: one object the screens talk to, no Kivy here.

It owns the store, the devices, the outbox sync and the person's session, and exposes
each flow as a method that either succeeds durably or raises ``FlowError``.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path
from typing import Callable

import numpy as np

from devices.base import DeviceHealth
from devices.camera import make_camera
from devices.card_reader import make_card_reader
from devices.microphone import make_microphone
from devices.speaker import make_speaker
from kiosk.approvals_mixin import ApprovalsMixin
from kiosk.clock import LOCAL_ZONE, Clock
from kiosk.errors import FlowError
from kiosk.fleet_host import FleetMixin
from kiosk.flows import checkin, leave, lessons
from kiosk.i18n import Translator, translate
from kiosk.identify import CameraPump, IdentityWatcher
from kiosk.identity_mixin import IdentityMixin
from kiosk.receipts import CheckinResult, ReceiptsMixin
from kiosk.report_mixin import WrittenReportMixin
from kiosk.lesson_host import LessonCreditMixin
from kiosk.questionnaire_mixin import QuestionnaireMixin
from kiosk.settings import KioskSettings
from kiosk.staff_mode import StaffModeMixin
from kiosk.views import PersonView
from kiosk.store import Store, open_store
from kiosk.sync import Syncer
from provisioning.credentials import load as load_credentials
from server_api.client import CentralClient
from server_api.contract import TerminalConfig

log = logging.getLogger(__name__)

# Provincial-level destinations offered on the leave pad (names are proper nouns;
# their English forms are in the catalogues under ``place.<n>``).
DESTINATION_COUNT = 34


class KioskCore(IdentityMixin, StaffModeMixin, FleetMixin, ApprovalsMixin, ReceiptsMixin,
                WrittenReportMixin, LessonCreditMixin, QuestionnaireMixin):
    def __init__(self, settings: KioskSettings, clock: Clock | None = None) -> None:
        self.settings = settings.with_simulation()
        self.clock = clock or Clock()
        self.tr = Translator(self.settings.language)
        self.store: Store | None = None
        self.client: CentralClient | None = None
        self.syncer: Syncer | None = None
        cam_options = ({"hold_seconds": self.settings.simulate_hold_seconds}
                       if self.settings.camera_backend == "file" else {})
        self.camera = make_camera(self.settings.camera_backend, self.settings.camera_source,
                                  **cam_options)
        mic_options = ({"realtime": self.settings.simulate_realtime_audio}
                       if self.settings.microphone_backend == "file" else {})
        self.microphone = make_microphone(self.settings.microphone_backend,
                                          self.settings.microphone_source, **mic_options)
        self.speaker = make_speaker(self.settings.speaker_backend, self.settings.speaker_source)
        self.card_reader = make_card_reader(self.settings.card_reader_backend,
                                            self.settings.card_reader_source)
        self.printer = self._make_printer()
        self.pump = CameraPump(self.camera)
        self._engine = None
        self._index = None
        self._index_lock = threading.Lock()
        self._voice_cache = None
        self.policy = None
        self.watcher: IdentityWatcher | None = None
        self.person: PersonView | None = None
        self._score = 0.0
        self._last_activity = 0.0
        self.staff_mode = False
        self._pin_failures = 0
        self._pin_locked_until = 0.0

    # --- life cycle ----------------------------------------------------------------
    def start(self) -> None:
        from kiosk.face import FaceEngine  # imported here: loads dlib

        self.store = open_store(self.settings.database_path)
        self.settings.content_dir.mkdir(parents=True, exist_ok=True)
        creds = load_credentials(self.settings.credentials_path)
        if creds is not None:
            self.client = CentralClient(creds.central_url, creds.terminal_id, creds.secret,
                                        timeout=self.settings.http_timeout_s)
        self.syncer = Syncer(self.store, self.client, self.clock, self.settings.sync_interval_s,
                             on_roster=self._invalidate_index)
        self._engine = FaceEngine()
        self._engine.warm_up()  # loads dlib in a background thread
        self.speaker.open()
        self.microphone.open()
        self.card_reader.open()
        self.printer.open()
        self.pump.start()
        self._start_identification()
        self._start_fleet()
        self.syncer.start()

    def stop(self) -> None:
        for part in (self.watcher, self.fleet, getattr(self, "content_agent", None), self.syncer):
            if part is not None:
                part.stop()
        self.pump.stop()
        self.microphone.close()
        self.speaker.close()
        self.card_reader.close()
        self.printer.close()
        if self.store is not None:
            self.store.close()

    @property
    def provisioned(self) -> bool:
        return self.client is not None

    # --- language and speech -------------------------------------------------------
    @property
    def language(self) -> str:
        return self.tr.language

    def set_language(self, language: str) -> None:
        self.tr.set_language(language)

    def speak(self, key: str, **params: object) -> None:
        self.speaker.say(self.tr(key, **params), self.language)

    # --- devices --------------------------------------------------------------------
    def camera_frame(self) -> np.ndarray | None:
        return self.pump.latest()[1]

    def device_status(self) -> dict[str, DeviceHealth]:
        return {"camera": self.camera.health(), "microphone": self.microphone.health(),
                "speaker": self.speaker.health(), "card_reader": self.card_reader.health(),
                "printer": self.printer.health()}

    def sync_status(self):
        return self.syncer.status if self.syncer else None

    # --- session --------------------------------------------------------------------
    def note_activity(self) -> None:
        self._last_activity = self.clock.monotonic()

    def session_timed_out(self) -> bool:
        """True when a person or staff member left the screen unattended too long."""
        return ((self.person is not None or self.staff_mode) and
                self.clock.monotonic() - self._last_activity > self.idle_timeout_s())

    def local_now(self) -> dt.datetime:
        """The centre's wall-clock time (the time printed on receipts)."""
        return self.clock.now().astimezone(LOCAL_ZONE)

    def end_session(self) -> None:
        if self.terminal_config is not None and self.in_use():
            self.set_language(self.languages()[0])  # the next person starts in the first one
        self.person = None
        self.staff_mode = False
        self._score = 0.0
        self.report_discard()  # a written report's unsent pages never outlive the session
        if self.watcher is not None:
            self.watcher.best_frame = None
            if self.watcher.state.status == "identified":
                self.watcher.cancel()  # a finished identification never reopens a session

    def _require_person(self) -> PersonView:
        if self.person is None:
            raise FlowError("session.error.no_person")
        self.note_activity()
        return self.person

    def _store(self) -> Store:
        if self.store is None:
            raise RuntimeError("KioskCore.start() was not called")
        return self.store

    def _poke(self) -> None:
        if self.syncer is not None:
            self.syncer.poke()

    # --- flows ----------------------------------------------------------------------
    def check_in(self) -> CheckinResult:
        person = self._require_person()
        receipt = checkin.check_in(self._store(), self.clock, person.id, self._score,
                                   self._snapshot())
        self._poke()
        return self.print_checkin_receipt(receipt)  # after the commit; never fails it

    def reporting_due(self) -> list[str]:
        """What the person must report and by when, in the screen's language (offline too)."""
        from kiosk.reporting_due import due_lines

        person = self._require_person()
        return due_lines(self._store(), self.clock, person.id, self.tr)

    def _snapshot(self) -> bytes | None:
        frame = self.watcher.best_frame if self.watcher else None
        return self._jpeg(frame if frame is not None else self.camera_frame())

    @staticmethod
    def _jpeg(frame: np.ndarray | None) -> bytes | None:
        import cv2

        if frame is None:
            return None
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])
        return buf.tobytes() if ok else None

    def leave_destinations(self) -> list[str]:
        return [self.tr(f"place.{i}") for i in range(1, DESTINATION_COUNT + 1)]

    def leave_reasons(self) -> list[tuple[str, str]]:
        return [(k, self.tr(k)) for k in leave.REASON_KEYS]

    def submit_leave(self, destination: str, start_date: dt.date, end_date: dt.date,
                     reason_key: str) -> str:
        person = self._require_person()
        # The record keeps the Chinese place name, whatever language the screen shows.
        for i in range(1, DESTINATION_COUNT + 1):
            if destination == self.tr(f"place.{i}"):
                destination = translate(f"place.{i}")
                break
        key = leave.submit(self._store(), self.clock, person.id, destination, start_date,
                           end_date, reason_key, self.terminal_config)
        self._poke()
        return key

    def leave_requests(self) -> list["LeaveItem"]:
        person = self._require_person()
        leave.refresh(self._store(), self.client, self.clock, person.id)
        config = self.terminal_config or TerminalConfig()
        return [LeaveItem(v, self.tr, config) for v in leave.list_for(self._store(), person.id)]

    def report_return(self, leave_key: str) -> None:
        person = self._require_person()
        leave.report_return(self._store(), self.clock, person.id, leave_key)
        self._poke()

    def lessons(self) -> list[lessons.LessonView]:
        person = self._require_person()
        lessons.refresh(self._store(), self.client, person.id)
        return lessons.list_for(self._store(), person.id)

    def prepare_lesson(self, lesson_id: int, progress: Callable[[float], None] | None = None) -> Path:
        person = self._require_person()
        return lessons.prepare(self._store(), self.client, self.settings.content_dir, person.id,
                               lesson_id, progress)

    def record_lesson_progress(self, lesson_id: int, watched_seconds: float,
                               position_seconds: float) -> float:
        person = self._require_person()
        total = lessons.record_progress(self._store(), self.clock, person.id, lesson_id,
                                        watched_seconds, position_seconds)
        self._poke()
        return total

    def call_staff(self, screen_name: str) -> None:
        from kiosk.flows.staff_call import record_call

        record_call(self._store(), self.clock, self.person.id if self.person else 0, screen_name)
        self.speak("staff.called")
        self._poke()


class LeaveItem:
    """A leave as the screens show it: status translated, dates as dates."""

    def __init__(self, view: leave.LeaveView, tr: Translator,
                 config: TerminalConfig | None = None) -> None:
        self.key = view.key
        self.destination = view.destination
        self.start_date = view.start_date
        self.end_date = view.end_date
        self.reason_text = tr(view.reason_key)
        self.status = view.status
        self.status_text = tr(f"leave.status.{view.status}")
        self.decision_note = view.decision_note
        self.can_return = view.can_return
        # Who decides a request still open, or the day to report back by (leave rules).
        self.detail_text = leave.detail_text(view, tr, config or TerminalConfig())
