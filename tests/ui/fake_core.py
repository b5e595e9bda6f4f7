"""A stand-in for `kiosk.core.KioskCore` with the same interface, for UI-only tests.

It lets the screens be rendered and driven while the real core is being written, and
later keeps the UI tests independent of the server. It is NOT the product: no identity
check, no database. Behaviour is configured by the settings dict of the scenario:

  camera_dir   folder of images; the newest image is the camera frame. Missing folder:
               camera unavailable; empty: nobody there. The identity check follows the
               image's file stem through a scripted timeline (tests/ui/fake_identity.py):
               hint, liveness, voice, identified for a stem that is a key of `people`.
  people       {"stem": {"id": 1, "display_name": "张*三", "case_type": "probation",
               "id_number": "...", "fail": "voice"}} (id_number and fail optional; "plan"
               and "checkin_days" give the reporting plan shown on the menu)
  today        ISO date the reporting plan is judged on (default: today)
  hints, identity_timing, max_attempts   see tests/ui/fake_identity.py
  card_file    a file holding an ID number: a card on the reader while it exists
  record_seconds, voice_sample_errors    voice enrolment recordings (see below)
  staff_pin    PIN accepted by check_staff_pin (default "2468")
  timeout_seconds   inactivity timeout of a session (default 120)
  work_dir     where prepared lesson videos are written
  log_file     JSON lines of every call that changes something (for assertions)
  service_file a JSON file {"reason": "locked"|"closed", "hours": "22:00-06:00"}: the
               terminal is out of service while it exists (kiosk.service.ServiceState)
  languages    languages offered (default both)
  printer_out_file   while this file exists the receipt printer is out of paper: receipts
               are not printed (check-in still succeeds), as with the real core
  leave_rules  TerminalConfig leave keys, e.g. {"leave_max_days": 7} (default: defaults)
  capture_to   when set, the screen capture the app registers is called once from a
               thread (as the fleet's screenshot command does) and its PNG written here
"""
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np

from kiosk.errors import FlowError
from kiosk.flows.leave import detail_text as leave_detail
from server_api import leave_rules
from server_api.contract import TerminalConfig
from tests.ui.fake_identity import FakeWatcher
from tests.ui.fake_lessons import FakeLessonsMixin

ROOT = Path(__file__).resolve().parents[2]
PROVINCES = [("北京市", "Beijing"), ("天津市", "Tianjin"), ("河北省", "Hebei"), ("山西省", "Shanxi"),
             ("内蒙古自治区", "Inner Mongolia"), ("辽宁省", "Liaoning"), ("吉林省", "Jilin"),
             ("黑龙江省", "Heilongjiang"), ("上海市", "Shanghai"), ("江苏省", "Jiangsu"),
             ("浙江省", "Zhejiang"), ("安徽省", "Anhui"), ("福建省", "Fujian"), ("江西省", "Jiangxi"),
             ("山东省", "Shandong"), ("河南省", "Henan"), ("湖北省", "Hubei"), ("湖南省", "Hunan"),
             ("广东省", "Guangdong"), ("广西壮族自治区", "Guangxi")]
REASONS = [("medical", "就医", "Medical care"), ("family", "探亲", "Visit family"),
           ("work", "务工", "Work"), ("funeral", "奔丧", "Funeral"), ("study", "就学", "Study"),
           ("other", "其他正当理由", "Other legitimate reason")]
PERSON_FIELDS = ("id", "display_name", "case_type")
ENROL_PROMPTS = ("4 7 1 9 0 3 8 2", "6 2 9 5 1 7 0 4", "8 0 3 6 2 9 5 1")
STATUS = {"pending": ("待审批", "Waiting for approval"), "approved": ("已批准", "Approved"),
          "rejected": ("未批准", "Not approved"), "closed": ("已销假", "Returned"),
          "queued": ("待发送", "Waiting to send")}


@dataclass
class _Leave:
    key: str
    destination: str
    start_date: date
    end_date: date
    status: str
    decision_note: str = ""


@dataclass
class FakeCore(FakeLessonsMixin):
    settings: dict = field(default_factory=dict)

    def __post_init__(self):
        self.language = "zh_CN"
        self.person = None
        self._catalogue = self._load_catalogue()
        self._last_activity = time.monotonic()
        self._lock = threading.Lock()
        self._watcher = FakeWatcher(self.settings, self._log)
        self._prompts = self._samples = 0
        self._checked_in = []  # days of check-ins in this run (reporting_due)
        today = date.today()
        self._leaves = [
            _Leave("L1", "江苏省", today - timedelta(days=3), today, "approved"),
            _Leave("L2", "广东省", today + timedelta(days=5), today + timedelta(days=8), "pending"),
            _Leave("L3", "上海市", today - timedelta(days=20), today - timedelta(days=18), "rejected",
                   "请补充就医证明"),
        ]

    # --- plumbing ---------------------------------------------------------------
    def _load_catalogue(self):
        from kiosk.i18n import catalogue
        return {lang: catalogue(lang) for lang in ("zh_CN", "en")}

    def _log(self, call, **kw):
        path = self.settings.get("log_file")
        if path:
            with self._lock, open(path, "a", encoding="utf-8") as out:
                out.write(json.dumps({"call": call, **kw}, default=str, ensure_ascii=False) + "\n")

    def start(self): self._log("start")
    def stop(self): self._log("stop")

    def tr(self, key, **kw):
        text = self._catalogue.get(self.language, {}).get(key, key)
        try:
            return text.format(**kw)
        except (KeyError, IndexError, ValueError):
            return text

    def set_language(self, lang):
        self.language = lang
        self._log("set_language", lang=lang)

    def speak(self, key, **kw): self._log("speak", key=key)
    def device_status(self): return {}

    # --- fleet: service state, languages, what the app registers ---------------------
    def service_state(self):
        from kiosk.service import ServiceState

        path = self.settings.get("service_file")
        if not path or not Path(path).is_file():
            return ServiceState()
        data = json.loads(Path(path).read_text("utf-8"))
        return ServiceState(data.get("reason", "locked"), data.get("hours", ""))

    def languages(self): return list(self.settings.get("languages", ["zh_CN", "en"]))
    def set_restart_handler(self, handler): self._restart_handler = handler

    def set_screen_capture(self, capture):
        target = self.settings.get("capture_to")
        if capture is None or not target:
            return

        def grab():
            time.sleep(2.0)  # let the first screen draw
            png = capture()
            Path(target).write_bytes(png)
            self._log("captured", size=len(png))

        threading.Thread(target=grab, name="capture", daemon=True).start()

    # --- camera and identity -----------------------------------------------------
    def _camera_image(self):
        folder = self.settings.get("camera_dir")
        if not folder or not Path(folder).is_dir():
            return None, None
        images = sorted(Path(folder).glob("*.jpg"), key=lambda p: p.stat().st_mtime)
        return (images[-1], cv2.imread(str(images[-1]))) if images else (None, np.zeros((480, 640, 3), np.uint8))

    def camera_frame(self):
        return self._camera_image()[1]

    def _camera_stem(self):
        path, frame = self._camera_image()
        return (path.stem if path is not None else None), frame

    def begin_identification(self):
        self._log("begin_identification")
        self.end_session()
        self._watcher.begin()

    def cancel_identification(self):
        self._log("cancel_identification")
        self._watcher.cancel()

    def claim_identity(self, id_number):
        """1:1 from now on, like the real core: FlowError for a bad or unknown number."""
        from server_api.names import id_number_checksum_ok

        number = id_number.strip().upper()
        if not id_number_checksum_ok(number):
            raise FlowError("identity.error.id_number_invalid")
        key = next((k for k, p in self.settings.get("people", {}).items()
                    if p.get("id_number") == number), None)
        if key is None:
            raise FlowError("identity.error.id_number_unknown")
        self._log("claim_identity", person=self.settings["people"][key]["id"])
        self.end_session()
        self._watcher.begin(claimed=key)

    def _poll_card(self):
        """A file `card_file` holding an ID number stands for a card on the reader."""
        card = self.settings.get("card_file")
        if (not card or not Path(card).is_file() or not self._watcher.active
                or self._watcher.claimed is not None):
            return
        try:
            self.claim_identity(Path(card).read_text("utf-8"))
        except FlowError as exc:
            self._log("card_refused", key=exc.message_key)

    def identity_state(self):
        self._poll_card()
        stem, frame = self._camera_stem()
        state = self._watcher.state(stem, frame)
        if state.status == "identified" and self.person is None:
            known = next(p for p in self.settings["people"].values() if p["id"] == state.person_id)
            self.person = SimpleNamespace(**{k: known[k] for k in PERSON_FIELDS})
            self.note_activity()
            self._log("identified", person=known["id"])
        return state

    # --- session -----------------------------------------------------------------
    def note_activity(self): self._last_activity = time.monotonic()

    def session_timed_out(self):
        timeout = float(self.settings.get("timeout_seconds", 120))
        return self.person is not None and time.monotonic() - self._last_activity > timeout

    def end_session(self):
        self._log("end_session")
        self.person = None

    # --- flows -------------------------------------------------------------------
    def _today(self):
        return date.fromisoformat(self.settings["today"]) if "today" in self.settings else date.today()

    def reporting_due(self):
        """What is due, by the real rules and texts (kiosk.reporting_due) over the person's
        ``plan`` (Plan.to_json fields) and ``checkin_days`` in `people`, on ``today``."""
        from kiosk.reporting_due import describe
        from server_api.reporting_plan import Plan

        known = next((p for p in self.settings.get("people", {}).values()
                      if p["id"] == self.person.id), {})
        plan = Plan.from_json(json.dumps(known["plan"])) if known.get("plan") else None
        days = [date.fromisoformat(d) for d in known.get("checkin_days", [])]
        return describe(plan, days + self._checked_in, self._today(), self.tr)

    def check_in(self):
        time.sleep(0.5)
        self._checked_in.append(self._today())
        self._log("check_in", person=self.person.id)
        return SimpleNamespace(record_no="BD20260001", at=datetime.now(), receipt=self._print("checkin"))

    def _print(self, what):
        """Like kiosk.receipts: an outcome, never an exception, for a printer out of paper."""
        out = self.settings.get("printer_out_file")
        if out and Path(out).exists():
            self._log("receipt_not_printed", what=what)
            return SimpleNamespace(printed=False, message_key="ui.receipt.not_printed",
                                   reason_key="device.printer.paper_out")
        self._log("receipt_printed", what=what)
        return SimpleNamespace(printed=True, message_key="ui.receipt.printed", reason_key="")

    def print_leave_slip(self, leave_key):
        time.sleep(0.3)
        leave = next(l for l in self._leaves if l.key == leave_key)
        if leave.status != "approved":
            raise FlowError("leave.error.not_approved")
        return self._print(f"leave-{leave_key}")

    def complete_lesson(self, lesson_id, media_s=None):
        self.finish_lesson_viewing(media_s)
        return self._print(f"lesson-{lesson_id}")

    def leave_destinations(self):
        return [zh if self.language == "zh_CN" else en for zh, en in PROVINCES]

    def leave_reasons(self):
        return [(key, zh if self.language == "zh_CN" else en) for key, zh, en in REASONS]

    def submit_leave(self, destination, start_date, end_date, reason_key):
        if end_date < start_date:
            raise FlowError("leave.error.end_before_start")
        # The real core's leave rules, with the scenario's "leave_rules" configuration keys.
        broken = leave_rules.check(leave_rules.LeavePeriod(start_date, end_date), date.today(),
                                   [], self._leave_config())
        if broken is not None:
            raise FlowError(broken.message_key, **broken.params)
        self._leaves.insert(0, _Leave(f"L{len(self._leaves) + 1}", destination, start_date, end_date, "queued"))
        self._log("submit_leave", destination=destination, start=start_date, end=end_date, reason=reason_key)
        return self._leaves[0].key

    def _leave_config(self):
        return TerminalConfig(**self.settings.get("leave_rules", {}))

    def leave_requests(self):
        lang = 0 if self.language == "zh_CN" else 1
        return [SimpleNamespace(key=l.key, destination=l.destination, start_date=l.start_date,
                                end_date=l.end_date, status=l.status, status_text=STATUS[l.status][lang],
                                can_return=l.status == "approved", decision_note=l.decision_note,
                                detail_text=leave_detail(l, self.tr, self._leave_config()))
                for l in self._leaves]

    def report_return(self, leave_key):
        next(l for l in self._leaves if l.key == leave_key).status = "closed"
        self._log("report_return", key=leave_key)

    def lessons(self):
        titles = [("law", "社区矫正法基础知识", "Basics of the Community Correction Law", 600),
                  ("safety", "安全生产与自我保护", "Safety at work", 0),
                  ("family", "家庭关系与沟通", "Family and communication", 1800),
                  ("broken", "损坏的课程（测试）", "Broken lesson (test)", 0)]
        return [SimpleNamespace(id=i, title=zh if self.language == "zh_CN" else en,
                                watched_seconds=w, size=1_000_000) for i, zh, en, w in titles]

    def prepare_lesson(self, lesson_id, progress):
        for step in range(1, 11):
            time.sleep(0.15)
            progress(step / 10)
            if lesson_id == "broken" and step == 6:
                raise FlowError("lesson.error.corrupt")
        return _write_video(Path(self.settings.get("work_dir", "/tmp")) / f"{lesson_id}.avi",
                            int(self.settings.get("lesson_seconds", 12)))

    def record_lesson_progress(self, lesson_id, watched_seconds, position_seconds):
        self._log("record_lesson_progress", lesson=lesson_id, watched=round(watched_seconds, 1),
                  position=round(position_seconds, 1))

    def call_staff(self, screen_name): self._log("call_staff", screen=screen_name)

    # --- staff -------------------------------------------------------------------
    def local_now(self):
        from kiosk.clock import LOCAL_ZONE

        return datetime.now(LOCAL_ZONE)

    def check_staff_pin(self, pin): return pin == str(self.settings.get("staff_pin", "2468"))

    def roster(self):
        return [SimpleNamespace(**{k: p[k] for k in PERSON_FIELDS})
                for p in self.settings.get("people", {}).values()]

    def capture_enrolment_frames(self, count=5):
        time.sleep(1.0)
        frame = self.camera_frame()
        if frame is None or not frame.any():
            raise FlowError("enrol.error.no_face")
        return [frame] * count

    def enrol_face(self, person_id, frames):
        self._log("enrol_face", person=person_id, frames=len(frames))
        return len(frames)

    def voice_enrolment_prompt(self):
        self._prompts += 1
        return ENROL_PROMPTS[(self._prompts - 1) % len(ENROL_PROMPTS)]

    def record_voice_sample(self, seconds=4.5):
        """Sleeps `record_seconds` (default 1.5); `voice_sample_errors[n]`, when set, is
        the FlowError key of the n-th recording (an unusable clip)."""
        n, self._samples = self._samples, self._samples + 1
        time.sleep(float(self.settings.get("record_seconds", 1.5)))
        errors = self.settings.get("voice_sample_errors", [])
        if n < len(errors) and errors[n]:
            raise FlowError(errors[n])
        self._log("record_voice_sample", seconds=seconds)
        return SimpleNamespace(samples=np.zeros(int(16000 * seconds), np.int16), sample_rate=16000)

    def enrol_voice(self, person_id, clips):
        time.sleep(0.8)
        if len(clips) < 3:
            raise FlowError("voice.enrol_more")
        self._log("enrol_voice", person=person_id, clips=len(clips))


def _write_video(path: Path, seconds: int = 12, fps: int = 10) -> Path:
    """A small MJPG clip with a moving bar, so playback is visible in screenshots."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (640, 360))
    for i in range(seconds * fps):
        frame = np.full((360, 640, 3), (90, 60, 20), np.uint8)
        cv2.rectangle(frame, (0, 150), (int(640 * i / (seconds * fps)), 210), (60, 200, 240), -1)
        cv2.putText(frame, f"{i / fps:4.1f} s", (250, 120), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (255, 255, 255), 3)
        writer.write(frame)
    writer.release()
    return path
