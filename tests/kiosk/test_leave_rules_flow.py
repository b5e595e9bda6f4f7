"""The kiosk refuses a leave request that breaks a leave rule (Art 27; keys of the central
TerminalConfig) before anything is filed, and says which rule in plain words."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from kiosk.clock import Clock
from kiosk.errors import FlowError
from kiosk.flows import leave
from kiosk.i18n import translate
from kiosk.store import open_store
from kiosk.store.models import LeaveRequest, Outbox, Person
from server_api.contract import TerminalConfig


class FixedClock(Clock):
    def now(self) -> dt.datetime:
        return dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 in China


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "kiosk.db")
    with s.session() as ses:
        ses.add(Person(id=7, name="张小三", id_number="110101199003070011", case_type="缓刑"))
    yield s
    s.close()


def refused(store, start: dt.date, end: dt.date, config: TerminalConfig) -> FlowError:
    with pytest.raises(FlowError) as err:
        leave.submit(store, FixedClock(), 7, "上海市", start, end, "leave.reason.family", config)
    return err.value


def nothing_filed_since(store, count: int) -> bool:
    with store.session() as s:
        return (len(s.scalars(select(LeaveRequest)).all()) == count
                and len(s.scalars(select(Outbox)).all()) == count)


def test_leave_max_days_seven_day_trip_filed_eight_day_refused_in_plain_words(store):
    config = TerminalConfig(leave_max_days=7)
    today = FixedClock().today()
    start = today + dt.timedelta(days=3)
    err = refused(store, start, start + dt.timedelta(days=7), config)
    assert err.message_key == "leave_rules.broken.max_days"
    assert translate(err.message_key, **err.params) == "外出最长7天，您选了8天。"
    assert nothing_filed_since(store, 0)
    leave.submit(store, FixedClock(), 7, "上海市", start, start + dt.timedelta(days=6),
                 "leave.reason.family", config)
    assert nothing_filed_since(store, 1)


def test_leave_apply_days_ahead_one_day_too_late_says_the_earliest_day(store):
    today = FixedClock().today()
    err = refused(store, today + dt.timedelta(days=2), today + dt.timedelta(days=3),
                  TerminalConfig())
    assert translate(err.message_key, **err.params) == "外出需提前3天申请，最早只能选12月5日出发。"
    assert nothing_filed_since(store, 0)


def test_leave_max_per_month_counts_the_leaves_this_terminal_holds(store):
    config = TerminalConfig(leave_max_per_month=2)
    clock = FixedClock()
    for first in (10, 15):
        leave.submit(store, clock, 7, "上海市", dt.date(2026, 12, first),
                     dt.date(2026, 12, first + 1), "leave.reason.work", config)
    err = refused(store, dt.date(2026, 12, 20), dt.date(2026, 12, 21), config)
    assert translate(err.message_key, **err.params) == "12月已经申请了2次外出，每月最多2次。"
    # A rejected one no longer counts
    with store.session() as s:
        s.scalars(select(LeaveRequest)).first().status = "rejected"
    leave.submit(store, clock, 7, "上海市", dt.date(2026, 12, 20), dt.date(2026, 12, 21),
                 "leave.reason.work", config)


def test_status_line_names_the_approver_and_the_day_to_report_back(store):
    clock, config = FixedClock(), TerminalConfig()
    key = leave.submit(store, clock, 7, "上海市", dt.date(2026, 12, 10), dt.date(2026, 12, 17),
                       "leave.reason.work", config)  # 8 days: above the centre's 7
    (view,) = leave.list_for(store, 7)
    assert leave.detail_text(view, translate, config) == "由县里的社区矫正机构审批"
    with store.session() as s:
        s.get(LeaveRequest, key).status = "approved"
    (view,) = leave.list_for(store, 7)
    assert leave.detail_text(view, translate, config) == "回来后最晚12月18日来销假"


def test_a_request_the_centre_refused_under_a_rule_is_shown_not_approved(store):
    """The configuration changed while the request waited offline: the server rejected it
    (leave_rule_max_days); the status screen says so instead of "to be sent"."""
    from kiosk import outbox
    from server_api.contract import LeaveList

    class Centre:
        def leaves(self, person_id):
            return LeaveList(leaves=[])

    clock = FixedClock()
    key = leave.submit(store, clock, 7, "上海市", dt.date(2026, 12, 10), dt.date(2026, 12, 20),
                       "leave.reason.work", TerminalConfig())
    other = leave.submit(store, clock, 7, "上海市", dt.date(2027, 1, 10), dt.date(2027, 1, 11),
                         "leave.reason.work", TerminalConfig())
    assert leave.refresh(store, Centre(), clock, 7)
    assert [v.status for v in leave.list_for(store, 7)] == ["queued", "queued"]
    outbox.mark_failed(store, [key], "rejected:leave_rule_max_days")
    outbox.mark_delivered(store, [key], clock.now())
    assert leave.refresh(store, Centre(), clock, 7)
    views = {v.key: v for v in leave.list_for(store, 7)}
    assert views[key].status == "rejected" and "不符合外出规定" in views[key].decision_note
    assert views[other].status == "queued"
