"""心理测评 at the terminal, against a real central server on SQLite: the assigned
questionnaire is fetched, answered one question at a time with each question read
aloud, kept through an outage in the outbox, and reaches staff; a critical answer
(PHQ-9 item 9 > 0) calls staff at once; the terminal never holds or shows a score."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from kiosk import outbox
from kiosk.clock import Clock
from kiosk.errors import FlowError
from kiosk.questionnaire_mixin import DONE, HELP, NEXT, QuestionnaireMixin
from kiosk.store import open_store
from kiosk.store.models import Person
from kiosk.store.questionnaire_models import QuestionnaireSubmission
from kiosk.sync import Syncer
from server_api.client import CentralClient
from tests.server.central_helpers import enrol
from tests.staff_console import StaffConsole, make_id_number, start_server


class Host(QuestionnaireMixin):
    """The few parts of ``KioskCore`` the questionnaire side uses (no devices here)."""

    def __init__(self, store, client, person_id: int) -> None:
        self.store, self.client, self.clock = store, client, Clock()
        self.person = SimpleNamespace(id=person_id)
        self.language = "zh_CN"
        self.spoken: list[tuple[str, dict]] = []
        self.pokes = 0
        # No verified content set yet: definitions come by the plain API download (the
        # signed copy is tested in tests/content/test_signed_questionnaires_and_config.py).
        self.settings = SimpleNamespace(content_dir=None)

    def _require_person(self):
        if self.person is None:
            raise FlowError("session.error.no_person")
        return self.person

    def _store(self):
        return self.store

    def _poke(self):
        self.pokes += 1

    def speak(self, key, **params):
        self.spoken.append((key, params))


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("central")
    base_url, password, stop = start_server(f"sqlite:///{tmp / 'central.db'}", tmp / "data")
    admin = StaffConsole(base_url)
    admin.login("admin", password)
    centre = admin.create_centre("城关司法所")
    person = admin.create_person(centre, "王建国", make_id_number(5), "缓刑")
    answer = enrol(base_url, admin.create_token(centre)).json()
    client = CentralClient(base_url, answer["terminal_id"], answer["secret"])
    try:
        yield SimpleNamespace(base_url=base_url, admin=admin, person=person, client=client)
    finally:
        stop()


@pytest.fixture
def host(central, tmp_path):
    store = open_store(tmp_path / "kiosk.db")
    with store.session() as s:
        s.add(Person(id=central.person, name="王建国", id_number="x", case_type="缓刑"))
    yield Host(store, central.client, central.person)
    store.close()


def _assign(central, questionnaire_id):
    central.admin.post("/console/questionnaires/assign", {"person_id": str(central.person),
                                                          "questionnaire_id": questionnaire_id})


def test_phq9_with_a_critical_answer_offline_then_delivered(central, host):
    _assign(central, "phq9")
    [(assignment, title)] = host.questionnaires()
    assert title == "心情状况问卷（PHQ-9）"
    host.client = None  # the centre is unreachable from now on: nothing may be lost
    host.start_questionnaire(assignment)

    outcomes = []
    for number, value in enumerate([1, 2, 1, 0, 0, 1, 0, 0, 2], start=1):
        view = host.questionnaire_question()
        assert (view.number, view.count) == (number, 9)
        assert [t for _v, t in view.choices] == ["完全不会", "好几天", "一半以上的天数", "几乎每天"]
        host.speak_question()
        key, params = host.spoken[-1]
        assert key == "questionnaire.say_question" and params["text"] == view.text
        assert "几乎每天" in params["choices"]
        assert bool(params["intro"]) == (number == 1)  # the stem, read before question 1
        outcomes.append(host.answer_question(value))
    assert outcomes == [NEXT] * 8 + [HELP]  # item 9 at 2: help information, staff called
    assert host.questionnaire_finished() and host.questionnaire_alerted()
    assert host.questionnaires() == []  # answered here: not offered again, even offline

    # The staff call goes first, then the answers; both wait in the outbox.
    pending = outbox.pending(host.store)
    assert [(p.kind, p.payload.get("screen")) for p in pending] == [
        ("staff_call", "questionnaire_critical"), ("questionnaire_result", None)]
    assert pending[1].payload == {"assignment_id": assignment, "questionnaire_id": "phq9",
                                  "version": 1, "answers": [1, 2, 1, 0, 0, 1, 0, 0, 2]}
    with host.store.session() as s:
        [sub] = s.scalars(select(QuestionnaireSubmission)).all()
        assert sub.critical and not hasattr(sub, "total")  # no score kept at the terminal

    # Back online: one delivery round, and staff see the call and the result.
    assert Syncer(host.store, central.client, Clock()).run_once()
    assert outbox.depth(host.store) == 0
    calls = [c for c in central.admin.open_staff_calls() if c["screen"] == "questionnaire_critical"]
    assert calls and calls[0]["person"] == "王*国"
    [row] = [r for r in central.admin.rows("/console/questionnaires")
             if r.get("result-id") and r["questionnaire"] == "phq9"]
    assert (row["total"], row["band"], row["critical"]) == ("7", "mild", "yes")


def test_gad7_without_critical_items_ends_with_thanks_and_can_go_back(central, host):
    _assign(central, "gad7")
    [(assignment, _title)] = host.questionnaires()
    host.start_questionnaire(assignment)
    assert host.previous_question() is False  # nothing before the first question
    assert host.answer_question(3) == NEXT
    assert host.previous_question() is True
    assert host.questionnaire_question().chosen == 3  # the answer given is shown again
    with pytest.raises(FlowError):
        host.answer_question(7)  # not one of the choices
    outcomes = [host.answer_question(v) for v in [0, 1, 1, 0, 0, 0, 0]]
    assert outcomes == [NEXT] * 6 + [DONE]
    assert not host.questionnaire_alerted()
    assert [p.kind for p in outbox.pending(host.store)] == ["questionnaire_result"]
    assert Syncer(host.store, central.client, Clock()).run_once()
    [row] = [r for r in central.admin.rows("/console/questionnaires")
             if r.get("result-id") and r["questionnaire"] == "gad7"]
    assert (row["total"], row["band"], row["critical"]) == ("2", "minimal", "no")


def test_the_session_of_another_person_cannot_continue_a_questionnaire(central, host):
    _assign(central, "gad7")
    [(assignment, _title)] = host.questionnaires()
    host.start_questionnaire(assignment)
    host.person = SimpleNamespace(id=central.person + 1000)
    with pytest.raises(FlowError) as refused:
        host.questionnaire_question()
    assert refused.value.message_key == "questionnaire.error.not_started"


def test_the_real_core_reads_every_question_aloud_and_calls_staff(central, tmp_path):
    """``KioskCore`` itself (devices simulated, no camera work): the questions and their
    choices reach the speaker; the critical answer's staff call and the result reach
    the centre through the core's own outbox sync."""
    from kiosk.core import KioskCore
    from kiosk.settings import KioskSettings
    from kiosk.views import PersonView

    core = KioskCore(KioskSettings(data_dir=tmp_path / "kiosk", simulate_dir=tmp_path / "sim"))
    core.store = open_store(tmp_path / "kiosk.db")
    with core.store.session() as s:
        s.add(Person(id=central.person, name="王建国", id_number="x", case_type="缓刑"))
    core.client = central.client
    core.syncer = Syncer(core.store, central.client, core.clock)
    core.speaker.open()
    core.person = PersonView(central.person, "王*国", "缓刑")
    try:
        _assign(central, "phq9")
        [assignment] = [a for a, title in core.questionnaires() if "PHQ-9" in title]
        core.start_questionnaire(assignment)
        outcomes = []
        for value in [0, 0, 1, 0, 0, 0, 0, 0, 3]:
            core.speak_question()
            outcomes.append(core.answer_question(value))
        assert outcomes == [NEXT] * 8 + [HELP]
        spoken = core.speaker.transcript.read_text("utf-8")
        from content.questionnaires.engine import Library
        phq9 = Library().get("phq9", 1).definition
        for number, question in enumerate(phq9.questions, start=1):
            assert f"第{number}题：{question.text.zh_CN}" in spoken
        assert spoken.count("完全不会、好几天、一半以上的天数、几乎每天") == 9
        assert spoken.startswith("在过去的两周里")  # the stem before question 1
        assert core.syncer.run_once()
        calls = [c for c in central.admin.open_staff_calls()
                 if c["screen"] == "questionnaire_critical"]
        assert calls
        [row] = [r for r in central.admin.rows("/console/questionnaires")
                 if r.get("result-id") and r["questionnaire"] == "phq9" and r["total"] == "4"]
        assert (row["band"], row["critical"]) == ("minimal", "yes")  # critical whatever the band
    finally:
        core.speaker.close()
        core.store.close()
