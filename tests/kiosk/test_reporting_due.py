"""What the kiosk tells a person about their reporting plan, from its own store: the plan
arrives with the roster, check-ins taken here count at once (offline, before delivery),
and the day is the centre's local day. Texts from the catalogues, Chinese first."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from kiosk.clock import Clock
from kiosk.flows import checkin
from kiosk.i18n import Translator
from kiosk.reporting_due import due_lines
from kiosk.roster import apply_roster
from kiosk.store import open_store
from kiosk.store.migrate import alembic_config
from server_api.contract import ReportingPlanSpec, RosterPerson, RosterResponse

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
WEEKLY_SAT = ReportingPlanSpec(kind="weekly", start=dt.date(2026, 11, 23), window_days=7,
                               due_day=5)


class FixedClock(Clock):
    def __init__(self, now: dt.datetime) -> None:
        self.at = now

    def now(self) -> dt.datetime:
        return self.at.astimezone(dt.timezone.utc)


def roster(plan: ReportingPlanSpec | None, last: dt.datetime | None = None) -> RosterResponse:
    return RosterResponse(centre_id=1, centre_name="中心", persons=[RosterPerson(
        id=7, name="张小三", id_number="11010119800101007X", case_type="缓刑",
        reporting_plan=plan, last_checkin_at=last)])


def test_the_plan_from_the_roster_tells_what_is_due_and_a_local_checkin_fulfils_it(tmp_path):
    store = open_store(tmp_path / "kiosk.db")
    tr = Translator("zh_CN")
    # Wednesday 9 Dec; the server knew a check-in on Saturday 28 Nov (last window: missed).
    clock = FixedClock(dt.datetime(2026, 12, 9, 10, 0, tzinfo=SHANGHAI))
    apply_roster(store, roster(WEEKLY_SAT, dt.datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI)))
    assert due_lines(store, clock, 7, tr) == ["12月5日（周六）前没有报到，请找工作人员说明",
                                              "本周需报到：12月12日（周六）前"]
    # A check-in here, not yet delivered (no server at all), fulfils this week.
    checkin.check_in(store, clock, 7, 0.9, None)
    assert due_lines(store, clock, 7, tr) == ["本周已报到",
                                              "下次报到：12月13日（周日）至12月19日（周六）"]
    assert due_lines(store, clock, 7, Translator("en"))[0] == "You have reported this week"
    # Staff removed the plan: nothing is shown.
    apply_roster(store, roster(None))
    assert due_lines(store, clock, 7, tr) == []
    store.close()


def test_a_checkin_after_midnight_counts_on_the_centres_day_not_utcs(tmp_path):
    store = open_store(tmp_path / "kiosk.db")
    tr = Translator("zh_CN")
    apply_roster(store, roster(WEEKLY_SAT))
    # 00:10 on Sunday 6 Dec in Shanghai is still Saturday 5 Dec in UTC: it belongs to the
    # window opening on Sunday, and the week that ended on Saturday stays missed.
    clock = FixedClock(dt.datetime(2026, 12, 6, 0, 10, tzinfo=SHANGHAI))
    checkin.check_in(store, clock, 7, 0.9, None)
    assert due_lines(store, clock, 7, tr) == ["本周已报到",
                                              "下次报到：12月13日（周日）至12月19日（周六）"]
    store.close()


def test_the_last_day_of_the_window_asks_to_report_today(tmp_path):
    store = open_store(tmp_path / "kiosk.db")
    apply_roster(store, roster(WEEKLY_SAT, dt.datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI)))
    saturday = FixedClock(dt.datetime(2026, 12, 5, 20, 0, tzinfo=SHANGHAI))
    assert due_lines(store, saturday, 7, Translator("zh_CN")) == [
        "今天是最后一天，请今天报到：12月5日（周六）"]
    store.close()


def test_migration_0010_keeps_the_roster_of_an_older_terminal(tmp_path):
    from alembic import command

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'kiosk.db'}")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        connection.execute(sa.text(
            "INSERT INTO persons (id, name, id_number, case_type, reporting_obligation, has_voice)"
            " VALUES (7, '张小三', '11010119800101007X', '缓刑', '', 0)"))
        command.upgrade(config, "head")
        row = connection.execute(sa.text(
            "SELECT name, reporting_plan, last_checkin_at FROM persons WHERE id = 7")).one()
    assert tuple(row) == ("张小三", "", None)
    engine.dispose()
