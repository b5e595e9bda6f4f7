"""The leave rules (Art 27 and the provincial implementing measures, DOMAIN.md), one
function per rule, each with its configuration key and the boundary a person would hit."""
from __future__ import annotations

import datetime as dt

import pytest

from server_api import leave_rules as rules
from server_api.contract import TerminalConfig
from server_api.leave_rules import LeavePeriod

TODAY = dt.date(2026, 12, 2)
DEFAULTS = TerminalConfig()


def day(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def test_documented_defaults():
    """The defaults docs/LEAVE_RULES.md lists (DOMAIN.md's provincial practice)."""
    assert (DEFAULTS.leave_apply_days_ahead, DEFAULTS.leave_max_days,
            DEFAULTS.leave_centre_max_days, DEFAULTS.leave_max_per_month,
            DEFAULTS.leave_max_days_per_year, DEFAULTS.leave_return_days,
            DEFAULTS.leave_frequent_max_months) == (3, 30, 7, 0, 60, 1, 6)


def test_leave_max_days_art27_seven_days_kept_eight_broken():
    config = TerminalConfig(leave_max_days=7)
    assert rules.max_days(LeavePeriod(day(3), day(9)), config) is None  # 7 days
    broken = rules.max_days(LeavePeriod(day(3), day(10)), config)  # 8 days
    assert broken.rule == "max_days" and broken.key == "leave_max_days"
    assert broken.article == "Art 27" and broken.code == "leave_rule_max_days"
    assert broken.params == {"limit": 7, "days": 8}
    # The default, 30 days per approval
    assert rules.max_days(LeavePeriod(day(3), day(32)), DEFAULTS) is None
    assert rules.max_days(LeavePeriod(day(3), day(33)), DEFAULTS).params["days"] == 31


def test_leave_apply_days_ahead_art27_one_day_too_late():
    assert rules.apply_ahead(LeavePeriod(day(3), day(4)), TODAY, DEFAULTS) is None
    broken = rules.apply_ahead(LeavePeriod(day(2), day(4)), TODAY, DEFAULTS)
    assert broken.key == "leave_apply_days_ahead" and broken.code == "leave_rule_apply_ahead"
    assert broken.params["limit"] == 3 and broken.params["earliest"] == "2026-12-05"
    # 0 days ahead: today is fine, yesterday never
    same_day = TerminalConfig(leave_apply_days_ahead=0)
    assert rules.apply_ahead(LeavePeriod(TODAY, TODAY), TODAY, same_day) is None
    assert rules.apply_ahead(LeavePeriod(day(-1), TODAY), TODAY, same_day) is not None


def test_leave_max_per_month_art27_cap_reached():
    config = TerminalConfig(leave_max_per_month=2)
    december = [LeavePeriod(dt.date(2026, 12, 10), dt.date(2026, 12, 11)),
                LeavePeriod(dt.date(2026, 12, 20), dt.date(2026, 12, 21))]
    request = LeavePeriod(dt.date(2026, 12, 28), dt.date(2026, 12, 29))
    assert rules.month_count(request, december[:1], config) is None  # the second is fine
    broken = rules.month_count(request, december, config)  # the third is not
    assert broken.key == "leave_max_per_month"
    assert broken.params == {"limit": 2, "count": 2, "month": 12}
    # Another month starts afresh; the default (0) is no cap at all
    january = LeavePeriod(dt.date(2027, 1, 4), dt.date(2027, 1, 5))
    assert rules.month_count(january, december, config) is None
    assert rules.month_count(request, december * 5, DEFAULTS) is None


def test_leave_max_days_per_year_art27():
    held = [LeavePeriod(dt.date(2026, 3, 1), dt.date(2026, 3, 30)),  # 30 days
            LeavePeriod(dt.date(2026, 6, 1), dt.date(2026, 6, 25))]  # 25 days
    assert rules.year_days(LeavePeriod(day(3), day(7)), held, DEFAULTS) is None  # 60 in all
    broken = rules.year_days(LeavePeriod(day(3), day(8)), held, DEFAULTS)  # 61
    assert broken.key == "leave_max_days_per_year"
    assert broken.params == {"limit": 60, "used": 55, "days": 6, "year": 2026, "left": 5}
    nocap = TerminalConfig(leave_max_days_per_year=0)
    assert rules.year_days(LeavePeriod(day(3), day(30)), held * 3, nocap) is None


def test_leave_centre_max_days_art27_routes_to_the_county_level():
    assert rules.approval_level(LeavePeriod(day(3), day(9)), DEFAULTS) == rules.CENTRE  # 7
    assert rules.approval_level(LeavePeriod(day(3), day(10)), DEFAULTS) == rules.COUNTY  # 8
    frequent = LeavePeriod(day(3), day(4), frequent=True)
    assert rules.approval_level(frequent, DEFAULTS) == rules.COUNTY


def test_leave_frequent_max_months_art27_standing_approval():
    """经常性跨市县: up to 6 months by default, not bound by the trip length or caps."""
    start = dt.date(2026, 12, 10)
    kept = LeavePeriod(start, dt.date(2027, 6, 9), frequent=True)
    assert rules.check(kept, TODAY, [], DEFAULTS) is None
    broken = rules.check(LeavePeriod(start, dt.date(2027, 6, 10), frequent=True), TODAY, [],
                         DEFAULTS)
    assert broken.rule == "frequent_period" and broken.key == "leave_frequent_max_months"
    assert broken.params["last"] == "2027-06-09"
    assert rules.add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)


def test_leave_return_days_art27_report_back_one_day_late():
    """销假 within leave_return_days (1) of the last day; the day after is late."""
    end = dt.date(2026, 12, 20)
    assert rules.return_due(end, DEFAULTS) == dt.date(2026, 12, 21)
    assert not rules.return_late(end, dt.date(2026, 12, 21), DEFAULTS)
    assert rules.return_late(end, dt.date(2026, 12, 22), DEFAULTS)
    assert not rules.return_late(end, dt.date(2026, 12, 23), TerminalConfig(leave_return_days=3))


@pytest.mark.parametrize("start,end,expected", [
    (day(3), day(9), None), (day(1), day(9), "apply_ahead"), (day(3), day(40), "max_days"),
    (day(1), day(40), "apply_ahead")])
def test_check_names_the_first_rule_broken(start, end, expected):
    broken = rules.check(LeavePeriod(start, end), TODAY, [], DEFAULTS)
    assert (broken.rule if broken else None) == expected
    both = rules.broken_rules(LeavePeriod(day(1), day(40)), TODAY, [], DEFAULTS)
    assert [b.rule for b in both] == ["apply_ahead", "max_days"]


def test_dates_at_the_calendar_ends_give_an_answer_not_an_error():
    """A terminal may send any date the contract allows: the rules never raise."""
    end_of_time = dt.date(9999, 12, 31)
    broken = rules.check(LeavePeriod(end_of_time, end_of_time), end_of_time, [], DEFAULTS)
    assert broken.rule == "apply_ahead"
    frequent = LeavePeriod(dt.date(9999, 10, 1), end_of_time, frequent=True)
    assert rules.frequent_period(frequent, DEFAULTS) is None
    assert rules.return_due(end_of_time, DEFAULTS) == end_of_time
    start = dt.date(1, 1, 1)
    first = rules.check(LeavePeriod(start, start), start, [], DEFAULTS)
    assert first.rule == "apply_ahead"
