"""The other approvals at the kiosk (Community Correction Law art. 23, 27; DOMAIN.md
"Approval types"): one field per screen, checked before anything is written, kept with
its outbox row so nothing acknowledged is lost offline, delivered to a real central
server on loopback, decided by staff there, and the decision shown back."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from kiosk import outbox
from kiosk.clock import Clock
from kiosk.errors import FlowError
from kiosk.flows import approvals
from kiosk.flows.approvals import Draft
from kiosk.store import open_store
from kiosk.store.approval_models import ApprovalRequest
from kiosk.store.models import Person
from kiosk.sync import Syncer
from server_api.client import CentralClient

from tests.server.central_helpers import enrol
from tests.staff_console import StaffConsole, make_id_number, start_server

CLOCK = Clock()


def _draft(kind: str, start: int, **fields) -> Draft:
    today = CLOCK.today()
    end = fields.pop("end", None)
    return Draft(type=kind, start_date=today + dt.timedelta(days=start),
                 end_date=None if end is None else today + dt.timedelta(days=end), **fields)


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "kiosk.db")
    yield s
    s.close()


def _rows(store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(ApprovalRequest))


PLACE = dict(place="广东省", reason_key="approval.reason.place_change.1")


@pytest.mark.parametrize("draft, case_type, key", [
    # DOMAIN.md: a change of execution place is asked for a month ahead.
    (_draft("place_change", 29, **PLACE), "缓刑", "approval.error.too_late"),
    (_draft("place_change", 40, reason_key="approval.reason.place_change.1"), "缓刑",
     "approval.error.place_required"),
    (_draft("visitor", 1, reason_key="approval.reason.visitor.1"), "缓刑",
     "approval.error.counterpart_required"),
    (_draft("move", 1, reason_key="approval.reason.visitor.1"), "缓刑",
     "approval.error.reason_required"),
    (_draft("move", -1, reason_key="approval.reason.move.1"), "缓刑",
     "approval.error.start_in_past"),
    (_draft("frequent_travel", 5, end=4, place="江苏省",
            reason_key="approval.reason.frequent_travel.1"), "缓刑",
     "approval.error.end_before_start"),
    # DOMAIN.md: a standing frequent-travel approval: 6 months by default.
    (_draft("frequent_travel", 1, end=184, place="江苏省",
            reason_key="approval.reason.frequent_travel.1"), "缓刑", "approval.error.too_long"),
    # art. 23: medical review extensions concern 暂予监外执行 only.
    (_draft("medical_extension", 3, reason_key="approval.reason.medical_extension.1"), "假释",
     "approval.error.not_applicable"),
    (_draft("marriage", 3, reason_key="x"), "缓刑", "approval.error.type_required"),
])
def test_a_bad_request_is_refused_and_nothing_written(store, draft, case_type, key):
    with pytest.raises(FlowError) as refused:
        approvals.submit(store, CLOCK, 7, case_type, draft)
    assert refused.value.message_key == key
    assert _rows(store) == 0 and outbox.depth(store) == 0


def test_the_types_offered_follow_the_case_type():
    assert "medical_extension" not in approvals.types_for("缓刑")
    assert approvals.types_for("暂予监外执行")[-1] == "medical_extension"
    assert approvals.earliest_start("place_change", dt.date(2026, 1, 1)) == dt.date(2026, 1, 31)
    assert approvals.latest_end(dt.date(2026, 1, 1)) == dt.date(2026, 7, 2)  # 183 days


@pytest.fixture
def central(tmp_path):
    base_url, password, stop = start_server(f"sqlite:///{tmp_path / 'central.db'}",
                                            tmp_path / "central")
    try:
        admin = StaffConsole(base_url)
        admin.login("admin", password)
        yield base_url, admin
    finally:
        stop()


def test_filed_offline_delivered_decided_and_shown(store, central, tmp_path):
    base_url, admin = central
    centre = admin.create_centre("城关司法所")
    person = admin.create_person(centre, "张小三", make_id_number(5), "缓刑")
    enrolment = enrol(base_url, admin.create_token(centre))
    terminal_id = enrolment.json()["terminal_id"]
    with store.session() as s:  # the roster says 暂予监外执行; the centre says 缓刑
        s.add(Person(id=person, name="张小三", id_number=make_id_number(5),
                     case_type="暂予监外执行"))

    place = approvals.submit(store, CLOCK, person, "缓刑", _draft("place_change", 31, **PLACE))
    medical = approvals.submit(store, CLOCK, person, "暂予监外执行", _draft(
        "medical_extension", 2, reason_key="approval.reason.medical_extension.2"))
    # Offline: nothing is lost, the person sees "waiting to send".
    offline = Syncer(store, CentralClient("http://127.0.0.1:9", terminal_id, enrolment.key,
                                          timeout=1), CLOCK)
    assert offline.run_once() is False and outbox.depth(store) == 2
    assert [v.status for v in approvals.list_for(store, person)] == ["queued", "queued"]

    client = CentralClient(base_url, terminal_id, enrolment.key)
    assert Syncer(store, client, CLOCK).run_once() is True and outbox.depth(store) == 0
    assert approvals.refresh(store, client, CLOCK, person) is True
    shown = {v.key: v for v in approvals.list_for(store, person)}
    assert shown[place].status == "pending"
    assert (shown[place].place, shown[place].reason) == ("广东省", "工作变动")  # staff read Chinese
    # The centre refused the medical extension (its record says 缓刑): settled, not lost,
    # and the person is sent to staff rather than left "waiting" for ever.
    assert shown[medical].status == "refused"

    admin.post("/console/approvals/decide", {"approval_key": place, "decision": "reject",
                                             "note": "请先与新执行地司法所联系"})
    assert approvals.refresh(store, client, CLOCK, person) is True
    [decided] = [v for v in approvals.list_for(store, person) if v.key == place]
    assert (decided.status, decided.decision_note) == ("rejected", "请先与新执行地司法所联系")


def test_the_core_offers_the_types_and_records_chinese_words(tmp_path):
    """What the screens call (KioskCore), in English: the record keeps the Chinese place
    and reason staff read; the status list is worded in the screen's language."""
    from kiosk.views import PersonView
    from tests.kiosk.fleet_fakes import open_core

    core = open_core(tmp_path / "data", None, CLOCK)
    try:
        core.person = PersonView(id=7, display_name="张*三", case_type="缓刑")
        core.set_language("en")
        assert [t for t, _ in core.approval_types()] == [
            "place_change", "visitor", "move", "frequent_travel"]  # no medical extension
        assert core.approval_earliest("place_change") == CLOCK.today() + dt.timedelta(days=30)
        start = CLOCK.today() + dt.timedelta(days=1)
        core.submit_approval("frequent_travel", start, core.approval_latest_end(start),
                             "Guangdong", "", "approval.reason.frequent_travel.1")
        [item] = core.approval_requests()
        assert (item.type_text, item.status_text) == ("Frequent trips out of county",
                                                      "Waiting to send")
        [pending] = outbox.pending(core.store)
        assert pending.payload["place"] == "广东省" and pending.payload["reason"] == "务工或经商"
        assert pending.payload["end_date"] == (start + dt.timedelta(days=182)).isoformat()
    finally:
        core.store.close()
