"""Receipts: what is printed after a check-in, an approved leave (批假单) and a finished lesson.

A receipt is printed only after its record is durable, and a printer that fails never
undoes or fails the action: the person is told the receipt could not be printed, staff
are told (a staff call reaches the console, and the heartbeat goes at once with the
printer's state). What is printed is minimal (Art. 26, 52/54 of the Community Correction
Law, DOMAIN.md): the surname and "*" at most, never the full name nor the ID number; the
QR code holds the record number only. Receipts are always in Chinese (official paper).

A mixin of ``KioskCore`` (settings, store, clock, person, fleet, syncer).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from devices.base import DeviceError
from devices.printer import Feed, Qr, Receipt, ReceiptPrinter, Rule, Text, make_printer
from kiosk import outbox
from kiosk.errors import FlowError
from kiosk.flows import leave, lessons
from kiosk.flows.checkin import CheckinReceipt
from kiosk.flows.staff_call import record_call
from kiosk.i18n import translate

log = logging.getLogger(__name__)
RECEIPT_LANGUAGE = "zh_CN"
STAFF_CALL_SCREEN = "printer"  # what the console shows as the screen of the staff call


@dataclass(frozen=True)
class PrintOutcome:
    """Whether the receipt came out; `message_key` is what the screen says."""

    printed: bool
    message_key: str
    reason_key: str = ""  # the printer's state (device.printer.*) when not printed


@dataclass(frozen=True)
class CheckinResult:
    """A recorded check-in and what became of its receipt."""

    key: str
    at: dt.datetime
    record_no: str
    receipt: PrintOutcome


def _t(key: str, **params: object) -> str:
    return translate(key, RECEIPT_LANGUAGE, **params)


def surname_only(display_name: str) -> str:
    """The surname and "*" (温*国 -> 温*): never more of a name on paper."""
    name = (display_name or "").strip()
    return f"{name[0]}*" if name else "*"


def leave_record_no(view: leave.LeaveView) -> str:
    return f"QJ{view.start_date:%Y%m%d}-{view.key[:6].upper()}"


def lesson_record_no(key: str, at: dt.datetime) -> str:
    return f"XX{at:%Y%m%d}-{key[:6].upper()}"


def _frame(title: str, name: str, record_no: str, at: dt.datetime,
           body: list[Text]) -> tuple:
    return (Text(_t("receipt.header"), align="center"),
            Text(title, align="center", bold=True, big=True), Rule(),
            Text(_t("receipt.person", name=name)),
            Text(_t("receipt.record_no", record_no=record_no)),
            Text(_t("receipt.time", time=f"{at:%Y-%m-%d %H:%M}")),
            *body, Rule(), Qr(record_no), Text(_t("receipt.footer"), align="center"), Feed(1))


def checkin_receipt(name: str, record_no: str, at: dt.datetime) -> Receipt:
    return Receipt(f"checkin-{record_no}", _frame(
        _t("receipt.checkin.title"), surname_only(name), record_no, at,
        [Text(_t("receipt.checkin.body"), bold=True)]))


def leave_slip(name: str, view: leave.LeaveView, printed_at: dt.datetime) -> Receipt:
    record_no = leave_record_no(view)
    days = (view.end_date - view.start_date).days + 1
    return Receipt(f"leave-{record_no}", _frame(
        _t("receipt.leave.title"), surname_only(name), record_no, printed_at,
        [Text(_t("receipt.leave.destination", destination=view.destination)),
         Text(_t("receipt.leave.dates", start=f"{view.start_date:%Y-%m-%d}",
                 end=f"{view.end_date:%Y-%m-%d}", days=days)),
         Text(_t("receipt.leave.approved"), bold=True),
         Text(_t("receipt.leave.return"))]))


def lesson_receipt(name: str, title: str, minutes: int, record_no: str,
                   at: dt.datetime) -> Receipt:
    return Receipt(f"lesson-{record_no}", _frame(
        _t("receipt.lesson.title"), surname_only(name), record_no, at,
        [Text(_t("receipt.lesson.name", title=title)),
         Text(_t("receipt.lesson.watched", minutes=minutes), bold=True)]))


class ReceiptsMixin:
    printer: ReceiptPrinter | None = None
    # True from a failed receipt until one prints again: staff are called once per spell
    # (a terminal whose printer is missing or empty must not flood the dashboard).
    _printer_failing: bool = False

    def _make_printer(self) -> ReceiptPrinter:
        options = ({"timeout": self.settings.printer_timeout_s}
                   if self.settings.printer_backend in ("usb", "serial", "network") else {})
        return make_printer(self.settings.printer_backend, self.settings.printer_source,
                            **options)

    def _print(self, receipt: Receipt, person_id: int) -> PrintOutcome:
        """Print after the record is durable; a failure tells staff and never raises."""
        try:
            if self.printer is None:
                raise DeviceError("device.printer.not_open")
            self.printer.print_receipt(receipt)
            self._printer_failing = False
            return PrintOutcome(True, "ui.receipt.printed")
        except Exception as exc:  # noqa: BLE001 - a receipt never fails the action
            reason = getattr(exc, "message_key", "device.printer.error")
            log.warning("receipt %s not printed: %s", receipt.name.split("-")[0], reason)
        if not self._printer_failing:
            self._printer_failing = True
            try:
                record_call(self._store(), self.clock, person_id, STAFF_CALL_SCREEN)
            except Exception:  # noqa: BLE001
                log.exception("staff could not be told about the printer")
        if getattr(self, "fleet", None) is not None:
            self.fleet.poke()  # the console sees the printer's state now
        self._poke()
        return PrintOutcome(False, "ui.receipt.not_printed", reason)

    def print_checkin_receipt(self, checkin: CheckinReceipt) -> CheckinResult:
        """The check-in is recorded already; print its receipt (or say it failed)."""
        person = self.person
        outcome = self._print(checkin_receipt(person.display_name if person else "",
                                              checkin.record_no, checkin.at),
                              person.id if person else 0)
        return CheckinResult(checkin.key, checkin.at, checkin.record_no, outcome)

    def print_leave_slip(self, leave_key: str) -> PrintOutcome:
        """批假单 of an approved leave of the person in session."""
        person = self._require_person()
        view = next((v for v in leave.list_for(self._store(), person.id) if v.key == leave_key),
                    None)
        if view is None:
            raise FlowError("leave.error.not_found")
        if view.status != "approved":
            raise FlowError("leave.error.not_approved")
        return self._print(leave_slip(person.display_name, view, self.local_now()), person.id)

    def complete_lesson(self, lesson_id: int, media_s: float | None = None) -> PrintOutcome:
        """A lesson played to its end: save the credited time (only what the person was
        seen watching, ``LessonCreditMixin``), then print the receipt quoting that record."""
        person = self._require_person()
        key = outbox.new_key()
        record = self.finish_lesson_viewing(media_s, key=key)
        title = next((v.title for v in lessons.list_for(self._store(), person.id)
                      if v.id == lesson_id), "")
        at = self.local_now()
        return self._print(lesson_receipt(person.display_name, title,
                                          int(record.credited_s // 60),
                                          lesson_record_no(key, at), at), person.id)
