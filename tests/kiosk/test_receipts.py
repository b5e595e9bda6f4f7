"""Receipts from the real kiosk core on a real SQLite store and the simulated printer.

What a person (and staff) would notice: the receipt's text and QR code, that no full name
and no ID number is ever on paper (Art. 26, 52/54), and that a printer out of paper never
fails a check-in: it is recorded, staff are called and the heartbeat shows the printer.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from devices.printer import PAPER_OUT_FLAG
from kiosk import outbox
from kiosk.errors import FlowError
from kiosk.store.models import Checkin, LeaveRequest, Person, StaffCall
from kiosk.views import PersonView
from tests.devices.escpos_reader import read
from tests.kiosk.fleet_fakes import FakeCentral, FixedClock, open_core

NOON_LOCAL = dt.datetime(2026, 12, 1, 4, 0, tzinfo=dt.timezone.utc)  # 12:00 in Beijing
FULL_NAME, ID_NUMBER = "张小三", "110101199003070011"


@pytest.fixture
def central():
    return FakeCentral()


@pytest.fixture
def core(tmp_path, central):
    c = open_core(tmp_path / "data", central, FixedClock(NOON_LOCAL))
    c.printer.open()
    with c.store.session() as s:
        s.add(Person(id=7, name=FULL_NAME, id_number=ID_NUMBER, case_type="缓刑"))
    c.person = PersonView(id=7, display_name="张*三", case_type="缓刑")
    c.note_activity()
    yield c
    c.store.close()


def printed(core) -> list:
    return [read(p.read_bytes()) for p in core.printer.printed()]


def assert_private(receipt) -> None:
    """Art. 26, 52/54: surname and "*" at most; no ID number, not even in part."""
    text = receipt.text + "".join(receipt.qr_payloads)
    assert "对象：张*" in receipt.lines
    assert FULL_NAME not in text and "张*三" not in text and "小三" not in text
    assert ID_NUMBER not in text and ID_NUMBER[-4:] not in text and ID_NUMBER[:6] not in text


def test_checkin_prints_a_receipt_with_the_record_number_as_qr_code(core):
    result = core.check_in()
    assert result.receipt.printed and result.receipt.message_key == "ui.receipt.printed"
    (receipt,) = printed(core)
    assert "报到回执" in receipt.big_lines
    assert f"编号：{result.record_no}" in receipt.lines
    assert "时间：2026-12-01 12:00" in receipt.lines  # the centre's local time
    assert receipt.qr_payloads == [result.record_no] and receipt.cuts == 1
    assert_private(receipt)


def test_out_of_paper_the_checkin_is_recorded_staff_are_called_and_the_console_sees_it(
        core, central):
    (core.printer.folder / PAPER_OUT_FLAG).touch()
    result = core.check_in()
    assert not result.receipt.printed
    assert result.receipt.message_key == "ui.receipt.not_printed"
    assert result.receipt.reason_key == "device.printer.paper_out"
    assert printed(core) == []
    with core.store.session() as s:  # the check-in itself is durable and queued for the centre
        assert s.get(Checkin, result.key).person_id == 7
        call = s.scalars(select(StaffCall)).one()
    assert call.screen == "printer" and call.person_id == 7
    kinds = [row.kind for row in outbox.pending(core.store)]
    assert kinds == ["checkin", "staff_call"]
    assert core.device_status()["printer"].message_key == "device.printer.paper_out"
    assert core.fleet.beat_once()
    report = central.reports[-1].devices["printer"]
    assert report.state == "error" and "缺纸" in report.detail
    (core.printer.folder / PAPER_OUT_FLAG).unlink()  # staff load paper
    core.fleet.beat_once()
    assert central.reports[-1].devices["printer"].state == "ok"
    assert core.check_in().receipt.printed


def test_staff_are_called_once_while_the_printer_stays_out_of_paper(core):
    """A printer left empty (or missing) must not flood the dashboard: one call a spell."""
    (core.printer.folder / PAPER_OUT_FLAG).touch()
    for _ in range(3):
        assert not core.check_in().receipt.printed
    with core.store.session() as s:
        assert len(s.scalars(select(StaffCall)).all()) == 1
    (core.printer.folder / PAPER_OUT_FLAG).unlink()
    assert core.check_in().receipt.printed
    (core.printer.folder / PAPER_OUT_FLAG).touch()  # empty again: a new spell, a new call
    assert not core.check_in().receipt.printed
    with core.store.session() as s:
        assert len(s.scalars(select(StaffCall)).all()) == 2


def test_a_printer_that_raises_anything_never_fails_the_checkin(core):
    class Broken:
        def print_receipt(self, receipt):
            raise RuntimeError("usb pipe error")

    core.printer = Broken()
    result = core.check_in()
    assert not result.receipt.printed and result.receipt.reason_key == "device.printer.error"
    with core.store.session() as s:
        assert s.get(Checkin, result.key) is not None


def _leave(core, status: str) -> str:
    key = outbox.new_key()
    with core.store.session() as s:
        s.add(LeaveRequest(key=key, person_id=7, destination="广西壮族自治区",
                           start_date=dt.date(2026, 12, 5), end_date=dt.date(2026, 12, 8),
                           reason="leave.reason.family", created_at=NOON_LOCAL.replace(tzinfo=None),
                           status=status))
    return key


def test_an_approved_leave_prints_its_approval_slip(core):
    key = _leave(core, "approved")
    outcome = core.print_leave_slip(key)
    assert outcome.printed
    (slip,) = printed(core)
    record_no = f"QJ20261205-{key[:6].upper()}"
    assert "批假单" in slip.big_lines and "审批结果：已批准" in slip.bold_lines
    assert "目的地：广西壮族自治区" in slip.lines
    assert "外出时间：2026-12-05 至 2026-12-08，共4天" in slip.lines
    assert slip.qr_payloads == [record_no] and f"编号：{record_no}" in slip.lines
    assert_private(slip)


@pytest.mark.parametrize("status", ["pending", "rejected", "closed", "queued"])
def test_no_approval_slip_for_a_leave_not_approved(core, status):
    key = _leave(core, status)
    with pytest.raises(FlowError) as err:
        core.print_leave_slip(key)
    assert err.value.message_key == "leave.error.not_approved"
    assert printed(core) == []


def test_no_approval_slip_of_someone_else(core):
    key = _leave(core, "approved")
    core.person = PersonView(id=8, display_name="李*四", case_type="缓刑")
    with pytest.raises(FlowError) as err:
        core.print_leave_slip(key)
    assert err.value.message_key == "leave.error.not_found"


def test_a_finished_lesson_is_recorded_and_its_receipt_printed(core):
    from kiosk.store.models import CachedLesson

    with core.store.session() as s:
        s.add(CachedLesson(person_id=7, lesson_id=3, title="社区矫正法基础知识", sha256="a" * 64,
                           size=10))
    # The person was seen for 754 s of a 760 s lesson (the credit rule's own state).
    from kiosk.lesson_credit import CreditPolicy, CreditRule
    from kiosk.lesson_host import _Viewing

    rule = CreditRule(CreditPolicy(), credited_s=754.0, furthest_s=760.0, start_s=760.0)
    core._viewing = _Viewing(7, 3, rule, check=None)
    outcome = core.complete_lesson(3, 760.0)
    assert outcome.printed
    (receipt,) = printed(core)
    (event,) = outbox.pending(core.store)
    assert event.kind == "lesson_credit" and event.payload["credited_seconds"] == 754.0
    record_no = f"XX20261201-{event.key[:6].upper()}"  # quotes the recorded event
    assert "学习回执" in receipt.big_lines and "课程：社区矫正法基础知识" in receipt.lines
    assert "累计学习：12分钟" in receipt.bold_lines
    assert receipt.qr_payloads == [record_no]
    assert_private(receipt)


def test_the_console_names_the_printer_staff_call():
    """Staff see why they were called (server catalogue, both languages)."""
    from kiosk.receipts import STAFF_CALL_SCREEN
    from server_api.server.i18n import catalogue

    for language in ("zh_CN", "en"):
        assert f"kiosk_screen.{STAFF_CALL_SCREEN}" in catalogue(language)
    assert "打印" in catalogue("zh_CN")[f"kiosk_screen.{STAFF_CALL_SCREEN}"]


def test_the_printer_is_chosen_by_kiosk_settings(monkeypatch, tmp_path):
    """KIOSK_PRINTER_BACKEND / _SOURCE / _TIMEOUT_S; the simulator prints to DIR/printer."""
    from devices.printer_escpos import EscposPrinter
    from kiosk.receipts import ReceiptsMixin
    from kiosk.settings import KioskSettings

    monkeypatch.setenv("KIOSK_PRINTER_BACKEND", "network")
    monkeypatch.setenv("KIOSK_PRINTER_SOURCE", "10.0.0.9:9101")
    monkeypatch.setenv("KIOSK_PRINTER_TIMEOUT_S", "2")
    holder = ReceiptsMixin()
    holder.settings = KioskSettings()
    printer = holder._make_printer()
    assert isinstance(printer, EscposPrinter)
    assert printer.args == {"host": "10.0.0.9", "port": 9101} and printer.timeout == 2.0
    sim = KioskSettings(simulate_dir=tmp_path).with_simulation()
    assert (sim.printer_backend, sim.printer_source) == ("file", str(tmp_path / "printer"))
