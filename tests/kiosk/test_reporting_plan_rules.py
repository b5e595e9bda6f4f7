"""The reporting-plan rules (server_api.reporting_plan), shared by kiosk and server.

Boundaries a person or staff member would notice: a check-in on the last day of the
window counts, one day after does not; the first report on day 10 after the judgment
takes effect is in time, on day 11 it is flagged (Community Correction Law Art 21).
"""
from __future__ import annotations

import datetime as dt

import pytest

from server_api.reporting_plan import (
    DATES, FIRST_REPORT_DAYS, MONTHLY, WEEKLY, Plan, PlanError, Window, due, first_report,
    missed, windows,
)

D = dt.date
SAT = 5
# 2026-11-30 is a Monday; 2026-12-05 a Saturday.
WEEKLY_SAT = Plan(WEEKLY, start=D(2026, 11, 30), window_days=7, due_day=SAT)


def test_weekly_windows_run_sunday_to_saturday_and_start_no_earlier_than_the_plan():
    ws = windows(WEEKLY_SAT, D(2026, 12, 12))
    assert ws[0] == Window(D(2026, 11, 30), D(2026, 12, 5))  # clipped to the plan's start
    assert ws[1] == Window(D(2026, 12, 6), D(2026, 12, 12))
    assert ws[-1].due > D(2026, 12, 12)  # the next one follows


def test_checkin_on_the_last_day_of_the_window_fulfils_it():
    assert missed(WEEKLY_SAT, [D(2026, 12, 5)], today=D(2026, 12, 7)) == []


def test_checkin_one_day_after_the_window_leaves_it_missed():
    # Sunday 6 Dec belongs to the next window; the week due on Saturday 5 Dec is missed.
    assert missed(WEEKLY_SAT, [D(2026, 12, 6)], today=D(2026, 12, 7)) == [
        Window(D(2026, 11, 30), D(2026, 12, 5))]


def test_a_window_is_not_missed_until_its_due_day_has_passed():
    assert missed(WEEKLY_SAT, [], today=D(2026, 12, 5)) == []
    assert len(missed(WEEKLY_SAT, [], today=D(2026, 12, 6))) == 1


def test_a_short_window_does_not_count_a_checkin_before_it_opens():
    plan = Plan(WEEKLY, start=D(2026, 11, 30), window_days=3, due_day=SAT)  # Thu-Sat
    assert windows(plan, D(2026, 12, 1))[0] == Window(D(2026, 12, 3), D(2026, 12, 5))
    assert missed(plan, [D(2026, 12, 2)], today=D(2026, 12, 6)) != []
    assert missed(plan, [D(2026, 12, 3)], today=D(2026, 12, 6)) == []


def test_monthly_due_day_31_falls_on_the_last_day_of_a_short_month():
    plan = Plan(MONTHLY, start=D(2027, 1, 1), window_days=5, due_day=31)
    ws = windows(plan, D(2027, 3, 1))
    assert [w.due for w in ws[:3]] == [D(2027, 1, 31), D(2027, 2, 28), D(2027, 3, 31)]
    assert ws[1].opens == D(2027, 2, 24)
    assert missed(plan, [D(2027, 2, 28)], today=D(2027, 3, 1), since=D(2027, 2, 1)) == []
    assert missed(plan, [D(2027, 3, 1)], today=D(2027, 3, 2), since=D(2027, 2, 1)) == [ws[1]]


def test_specific_dates_never_reach_back_past_the_previous_due_day():
    plan = Plan(DATES, start=D(2026, 12, 1), window_days=10,
                dates=(D(2026, 12, 10), D(2026, 12, 14)))
    assert windows(plan, D(2027, 1, 1)) == [Window(D(2026, 12, 1), D(2026, 12, 10)),
                                            Window(D(2026, 12, 11), D(2026, 12, 14))]
    # one check-in cannot fulfil two obligations
    assert missed(plan, [D(2026, 12, 9)], today=D(2026, 12, 20)) == [
        Window(D(2026, 12, 11), D(2026, 12, 14))]


def test_due_shows_the_open_window_then_done_then_next():
    today = D(2026, 12, 2)
    now = due(WEEKLY_SAT, [], today)
    assert (now.window.due, now.open_now, now.done) == (D(2026, 12, 5), True, False)
    after = due(WEEKLY_SAT, [today], today)
    assert after.done and after.next_window == Window(D(2026, 12, 6), D(2026, 12, 12))


def test_due_tells_a_missed_window_until_the_person_checks_in_again():
    later = due(WEEKLY_SAT, [], D(2026, 12, 7))
    assert later.last_missed == Window(D(2026, 11, 30), D(2026, 12, 5))
    assert due(WEEKLY_SAT, [D(2026, 12, 7)], D(2026, 12, 7)).last_missed is None


def test_due_after_the_last_specific_date_has_no_window():
    plan = Plan(DATES, start=D(2026, 12, 1), window_days=3, dates=(D(2026, 12, 10),))
    assert due(plan, [D(2026, 12, 9)], D(2026, 12, 20)).window is None


@pytest.mark.parametrize("plan, key", [
    (Plan(WEEKLY, start=D(2026, 12, 1), window_days=8, due_day=1), "plans.error.window"),
    (Plan(WEEKLY, start=D(2026, 12, 1), window_days=0, due_day=1), "plans.error.window"),
    (Plan(WEEKLY, start=D(2026, 12, 1), window_days=3, due_day=7), "plans.error.weekday"),
    (Plan(MONTHLY, start=D(2026, 12, 1), window_days=29, due_day=5), "plans.error.window"),
    (Plan(MONTHLY, start=D(2026, 12, 1), window_days=3, due_day=32), "plans.error.month_day"),
    (Plan(DATES, start=D(2026, 12, 1), window_days=3), "plans.error.no_dates"),
    (Plan(DATES, start=D(2026, 12, 1), window_days=3, dates=(D(2026, 11, 1),)),
     "plans.error.date_before_start"),
    (Plan("daily", start=D(2026, 12, 1)), "plans.error.kind"),
])
def test_a_plan_that_cannot_be_kept_is_refused_with_a_message_key(plan, key):
    with pytest.raises(PlanError) as err:
        plan.validated()
    assert err.value.key == key


def test_a_plan_survives_its_json_form_and_garbage_reads_as_no_plan():
    plan = Plan(DATES, start=D(2026, 12, 1), window_days=3,
                dates=(D(2026, 12, 10), D(2026, 12, 20)))
    assert Plan.from_json(plan.to_json()) == plan
    assert Plan.from_json(WEEKLY_SAT.to_json()) == WEEKLY_SAT
    assert Plan.from_json("") is None
    assert Plan.from_json('{"kind": "weekly"}') is None
    assert Plan.from_json("not json") is None


def test_art21_first_report_on_day_10_is_in_time():
    effective = D(2026, 11, 20)
    result = first_report(effective, D(2026, 11, 30), today=D(2026, 12, 2))
    assert FIRST_REPORT_DAYS == 10
    assert (result.deadline, result.late, result.days_late) == (D(2026, 11, 30), False, 0)


def test_art21_first_report_on_day_11_is_flagged_for_staff():
    result = first_report(D(2026, 11, 20), D(2026, 12, 1), today=D(2026, 12, 2))
    assert (result.late, result.days_late) == (True, 1)


def test_art21_no_report_yet_is_flagged_once_day_10_has_passed():
    assert not first_report(D(2026, 11, 20), None, today=D(2026, 11, 30)).late
    late = first_report(D(2026, 11, 20), None, today=D(2026, 12, 3))
    assert (late.late, late.days_late, late.reported_on) == (True, 3, None)


@pytest.mark.parametrize("plan", [
    WEEKLY_SAT, Plan(WEEKLY, start=D(2026, 1, 7), window_days=7, due_day=0),
    Plan(MONTHLY, start=D(2026, 1, 15), window_days=28, due_day=31),
    Plan(MONTHLY, start=D(2026, 1, 1), window_days=3, due_day=10),
])
def test_counting_from_a_later_day_gives_the_same_windows(plan):
    """The shortcut the dashboard and kiosk take (``since``) changes no window."""
    until = D(2027, 3, 31)
    full = windows(plan, until)
    for since in (D(2026, 2, 27), D(2026, 3, 1), D(2026, 12, 31), D(2027, 2, 28)):
        assert windows(plan, until, since) == [w for w in full if w.due >= since]
