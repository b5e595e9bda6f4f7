"""Lesson progress survives a restart and reaches the outbox (kiosk/flows/lesson_study.py,
kiosk/lesson_host.py). DOMAIN.md art. 36 (lessons per person, learning time is theirs);
configuration keys ``lesson_check_every_s``, ``lesson_absent_checks_to_pause``,
``lesson_face_max_distance``."""
from __future__ import annotations

import datetime as dt

import pytest

from kiosk import outbox
from kiosk.clock import Clock
from kiosk.errors import FlowError
from kiosk.flows import lesson_study
from kiosk.lesson_credit import CreditRule, Seen
from kiosk.store import open_store
from kiosk.store.lesson_credit_models import CachedQuiz
from kiosk.store.models import Person
from server_api.contract import LessonInfo, LessonQuiz, QuizQuestion

QUIZ = LessonQuiz(pass_mark=2, questions=[
    QuizQuestion(text="社区矫正对象外出要怎么做？", options=["先请假", "随便走"], answer=0),
    QuizQuestion(text="报到可以让别人代替吗？", options=["可以", "不可以"], answer=1),
    QuizQuestion(text="有困难可以找谁？", options=["工作人员", "没有人"], answer=0),
])


class StepClock(Clock):
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> dt.datetime:
        return dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=self.t)

    def monotonic(self) -> float:
        return self.t


def _open(path):
    store = open_store(path)
    with store.session() as s:
        if s.get(Person, 7) is None:
            s.add(Person(id=7, name="张小三", id_number="110101199003070011", case_type="缓刑"))
    return store


def test_art36_credit_and_no_skip_point_survive_a_kiosk_restart(tmp_path):
    clock = StepClock()
    store = _open(tmp_path / "kiosk.db")
    rule = CreditRule()
    for t, seen in ((0, Seen.present), (3, Seen.present), (6, Seen.present), (9, Seen.other)):
        rule.check(t, t, seen)
    lesson_study.save(store, clock, 7, 3, rule.state.credited_s, rule.state.furthest_s, 6.0)
    store.close()  # the kiosk restarts

    store = _open(tmp_path / "kiosk.db")
    record = lesson_study.load(store, 7, 3)
    assert (record.credited_s, record.furthest_s, record.position_s) == (6.0, 9.0, 6.0)
    again = CreditRule(credited_s=record.credited_s, furthest_s=record.furthest_s,
                       start_s=record.position_s)
    assert again.seek(60) == 9.0  # still no skipping ahead after the restart
    (item,) = outbox.pending(store)
    assert item.kind == "lesson_credit" and item.payload["credited_seconds"] == 6.0
    # a smaller total (a stale second terminal) never lowers what was earned
    lesson_study.save(store, clock, 7, 3, 2.0, 3.0, 1.0)
    assert lesson_study.load(store, 7, 3).credited_s == 6.0
    store.close()


def test_quiz_pass_mark_grades_and_a_pass_is_kept(tmp_path):
    clock = StepClock()
    store = _open(tmp_path / "kiosk.db")
    with store.session() as s:
        lesson_study.merge_remote(s, 7, [LessonInfo(id=3, title="课", sha256="a" * 64, size=1,
                                                    quiz=QUIZ, credited_seconds=30.0)])
    assert lesson_study.load(store, 7, 3).credited_s == 30.0  # the centre's total merged in
    with pytest.raises(FlowError) as err:
        lesson_study.record_quiz(store, clock, 7, 3, [0])
    assert err.value.message_key == "quiz.error.incomplete"
    failed = lesson_study.record_quiz(store, clock, 7, 3, [1, 0, 0])
    assert (failed.score, failed.passed) == (1, False)
    passed = lesson_study.record_quiz(store, clock, 7, 3, [0, 1, 1])
    assert (passed.score, passed.total, passed.passed) == (2, 3, True)
    lesson_study.record_quiz(store, clock, 7, 3, [1, 0, 1])  # a later worse try
    store.close()
    store = _open(tmp_path / "kiosk.db")
    record = lesson_study.load(store, 7, 3)
    assert (record.quiz_score, record.quiz_passed) == (2, True)
    last = outbox.pending(store)[-1]
    assert last.payload["quiz_passed"] is True and last.payload["quiz_total"] == 3
    with store.session() as s:  # the quiz removed at the centre: gone here too
        lesson_study.merge_remote(s, 7, [LessonInfo(id=3, title="课", sha256="a" * 64, size=1)])
        assert s.get(CachedQuiz, 3) is None
    store.close()


class _Pump:
    def __init__(self) -> None:
        self.frame = None

    def latest(self):
        return 1, self.frame


class _Host:
    """The core's lesson side on a real store, a real face engine and real clip frames."""

    def __init__(self, store, engine) -> None:
        from kiosk.lesson_host import LessonCreditMixin
        from kiosk.settings import KioskSettings

        self.mixin = type("Host", (LessonCreditMixin,), {})()
        m = self.mixin
        m.settings = KioskSettings(lesson_absent_checks_to_pause=1, lesson_other_checks_to_pause=1)
        m.clock, m.pump, m._engine = StepClock(), _Pump(), engine
        m.spoken = []
        m._store = lambda: store
        m._require_person = lambda: type("P", (), {"id": 7})()
        m._poke = lambda: None
        m.note_activity = lambda: None
        m.speak = lambda key, **_: m.spoken.append(key)


def test_art36_the_core_pauses_speaks_and_resumes_on_real_frames(tmp_path, shared_data):
    import cv2

    from kiosk.face import FaceEngine
    from kiosk.flows import enrolment

    def frame(name, second):
        cap = cv2.VideoCapture(str(shared_data / "liveness" / "live_video" / name))
        cap.set(cv2.CAP_PROP_POS_FRAMES, int(second * 25))
        ok, image = cap.read()
        cap.release()
        assert ok
        return image

    engine = FaceEngine()
    store = _open(tmp_path / "kiosk.db")
    katie = "WDA_KatieHill_000.mp4"
    enrolment.enrol_face(store, StepClock(), 7, engine.enrol([frame(katie, 0), frame(katie, 4)]))
    host = _Host(store, engine).mixin
    start = host.start_lesson_viewing(3)
    assert start.start_s == 0 and not start.has_quiz
    for second in (3, 6):
        host.clock.t += 3
        host.pump.frame = frame(katie, second)
        assert host.lesson_face_check(float(second)).action.value == "play"
    host.clock.t += 3
    host.pump.frame = frame("WDA_EdMarkey0_000.mp4", 2)
    paused = host.lesson_face_check(9.0)
    assert paused.action.value == "pause" and paused.seek_to == 6.0
    assert host.spoken == ["lesson.check.other"]
    host.clock.t += 3
    host.pump.frame = frame(katie, 6)
    assert host.lesson_face_check(6.0).action.value == "resume"
    assert host.lesson_seek(120.0) == 9.0
    record = host.finish_lesson_viewing(6.0)
    assert record.credited_s == 6.0 and record.position_s == 6.0
    assert outbox.pending(store)[-1].payload["credited_seconds"] == 6.0
    # a viewing never carries over to the next person at the terminal
    host.start_lesson_viewing(3)
    host._require_person = lambda: type("P", (), {"id": 8})()
    with pytest.raises(FlowError) as err:
        host.lesson_face_check(7.0)
    assert err.value.message_key == "lesson.error.not_started"
    store.close()


def test_refresh_from_the_centre_brings_the_quiz_and_the_credit(tmp_path):
    from server_api.contract import LessonList

    from kiosk.flows import lessons

    class Central:
        def lessons(self, person_id):
            assert person_id == 7
            return LessonList(lessons=[LessonInfo(id=3, title="课", sha256="a" * 64, size=1,
                                                  quiz=QUIZ, credited_seconds=42.0,
                                                  furthest_seconds=50.0, quiz_passed=True)])

    store = _open(tmp_path / "kiosk.db")
    assert lessons.refresh(store, Central(), 7)
    assert lesson_study.quiz_for(store, 3) == QUIZ
    record = lesson_study.load(store, 7, 3)
    assert (record.credited_s, record.furthest_s, record.quiz_passed) == (42.0, 50.0, True)
    store.close()


@pytest.mark.slow
def test_art36_real_core_camera_pump_credits_the_person_and_pauses_for_another(tmp_path,
                                                                              shared_data):
    """KioskCore as on a terminal: the simulated camera plays the real clip, the pump
    feeds the checks (real time, one check a second)."""
    import shutil
    import time

    import cv2

    from kiosk.core import KioskCore
    from kiosk.face import FaceEngine
    from kiosk.flows import enrolment
    from kiosk.settings import KioskSettings

    live = shared_data / "liveness" / "live_video"
    sim = tmp_path / "sim"
    for part in ("camera", "microphone", "speaker", "card"):
        (sim / part).mkdir(parents=True)
    shutil.copy(live / "WDA_KatieHill_000.mp4", sim / "camera" / "person.mp4")
    core = KioskCore(KioskSettings(data_dir=tmp_path / "data", simulate_dir=sim,
                                   lesson_check_every_s=1.0))
    core.store = _open(core.settings.database_path)
    core._engine = FaceEngine()
    cap = cv2.VideoCapture(str(live / "WDA_KatieHill_000.mp4"))
    frames = []
    for index in range(101):
        ok, frame = cap.read()
        if index in (0, 100):
            frames.append(frame)
    cap.release()
    enrolment.enrol_face(core.store, StepClock(), 7, core._engine.enrol(frames))
    core.pump.start()
    try:
        core._open_session(7, 0.9)
        core.start_lesson_viewing(3)
        started, actions = time.monotonic(), []
        for _ in range(4):
            time.sleep(1.0)
            actions.append(core.lesson_face_check(time.monotonic() - started).action.value)
        assert actions == ["play"] * 4
        assert core._viewing.rule.state.credited_s > 2.0
        for item in (sim / "camera").iterdir():  # someone else sits down
            item.unlink()
        shutil.copy(live / "WDA_EdMarkey0_000.mp4", sim / "camera" / "other.mp4")
        for _ in range(6):
            time.sleep(1.0)
            decision = core.lesson_face_check(time.monotonic() - started)
            if decision.action.value == "pause":
                break
        assert decision.action.value == "pause" and decision.reason.value == "other"
        record = core.finish_lesson_viewing()
        assert record.credited_s > 2.0
        assert lesson_study.load(core.store, 7, 3).credited_s == record.credited_s
    finally:
        core.pump.stop()
        core.store.close()
