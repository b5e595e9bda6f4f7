"""Receipt printer: a receipt as a small document, printed by an ESC/POS printer or a folder.

A receipt is a list of blocks (`Text`, `Qr`, `Rule`, `Feed`) that knows nothing of the
kiosk. Every backend turns it into the same ESC/POS byte stream (`devices.printer_escpos`):
the simulated printer writes that stream to a file, the real ones send it to a printer on
USB, a serial port or the network. Chinese text goes in the printer's Chinese (GB18030)
mode. Nothing opens at import; `print_receipt` raises `DeviceError` with a message key
(``device.printer.paper_out``, ``device.printer.cover_open``, ...) and `health()` keeps
that state for the UI and the heartbeat.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal, Protocol, Union, runtime_checkable

from devices.base import ERROR, DeviceError, DeviceHealth

log = logging.getLogger(__name__)
KIND = "printer"
PAPER_OUT_FLAG = "paper_out"      # simulated printer: this file in its folder = no paper
COVER_OPEN_FLAG = "cover_open"    # simulated printer: this file in its folder = cover open


@dataclass(frozen=True)
class Text:
    """One line of text (wrapped by the printer when too long)."""

    text: str
    align: Literal["left", "center"] = "left"
    bold: bool = False
    big: bool = False  # double width and height


@dataclass(frozen=True)
class Qr:
    """A QR code holding `payload` (printed natively by the printer)."""

    payload: str
    size: int = 6


@dataclass(frozen=True)
class Rule:
    """A dashed separator line."""


@dataclass(frozen=True)
class Feed:
    """Blank lines."""

    lines: int = 1


Block = Union[Text, Qr, Rule, Feed]


@dataclass(frozen=True)
class Receipt:
    """A receipt to print; `name` only labels the simulated printer's file."""

    name: str
    blocks: tuple[Block, ...]


def paper_out(detail: str = "") -> DeviceHealth:
    """Health of a printer with no paper (the detail is what the staff console shows)."""
    return DeviceHealth(ERROR, "device.printer.paper_out", f"缺纸 paper out {detail}".strip())


def cover_open(detail: str = "") -> DeviceHealth:
    """Health of a printer whose cover is open."""
    return DeviceHealth(ERROR, "device.printer.cover_open", f"纸仓盖打开 cover open {detail}".strip())


@runtime_checkable
class ReceiptPrinter(Protocol):
    def open(self) -> None:
        """Connect; never raises for a missing printer (see `health()`)."""

    def print_receipt(self, receipt: Receipt) -> None:
        """Print it whole, or raise `DeviceError` (nothing printed, health updated)."""

    def health(self) -> DeviceHealth:
        """Current state for the UI, the heartbeat and the logs."""

    def close(self) -> None:
        """Release the printer; safe to call twice."""


class FilePrinter:
    """Simulated printer: each receipt's ESC/POS bytes become ``NNNN-<name>.bin`` in a folder.

    A file ``paper_out`` (or ``cover_open``) in the folder makes it report that state and
    refuse to print, as a real printer's status query would.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._health = DeviceHealth.not_open(KIND)
        self._lock = threading.Lock()

    def open(self) -> None:
        from escpos.printer import Dummy  # noqa: F401 - python-escpos takes ~1.7 s to
        # import: pay it at start-up, not on the first person's receipt
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._health = DeviceHealth.unavailable(KIND, f"{self.folder}: {exc}")
            return
        self._health = self._status()

    def _status(self) -> DeviceHealth:
        if not self.folder.is_dir():
            return DeviceHealth.unavailable(KIND, f"{self.folder} missing")
        if (self.folder / PAPER_OUT_FLAG).exists():
            return paper_out()
        if (self.folder / COVER_OPEN_FLAG).exists():
            return cover_open()
        return DeviceHealth.healthy(KIND, str(self.folder))

    def health(self) -> DeviceHealth:
        if self._health.message_key == f"device.{KIND}.not_open":
            return self._health
        self._health = self._status()  # the flags change while the kiosk runs
        return self._health

    def print_receipt(self, receipt: Receipt) -> None:
        from devices.printer_escpos import render_bytes

        with self._lock:
            if self._health.message_key == f"device.{KIND}.not_open":
                raise DeviceError.from_health(self._health)
            self._health = self._status()
            if not self._health.ok:
                raise DeviceError.from_health(self._health)
            data = render_bytes(receipt)
            number = len(list(self.folder.glob("*.bin"))) + 1
            safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in receipt.name)[:40]
            target = self.folder / f"{number:04d}-{safe or 'receipt'}.bin"
            tmp = target.with_suffix(".part")
            tmp.write_bytes(data)
            os.replace(tmp, target)  # a reader never sees half a receipt
            log.info("receipt printed to %s (%d bytes)", target.name, len(data))

    def printed(self) -> list[Path]:
        """The receipts printed so far, oldest first."""
        return sorted(self.folder.glob("*.bin"))

    def close(self) -> None:
        self._health = DeviceHealth.not_open(KIND)


def _file(source: str | None, **options: Any) -> FilePrinter:
    if not source:
        raise ValueError("the 'file' printer backend needs a folder")
    return FilePrinter(source, **options)


def _escpos(connection: str) -> Callable[..., ReceiptPrinter]:
    def factory(source: str | None, **options: Any) -> ReceiptPrinter:
        from devices.printer_escpos import EscposPrinter  # python-escpos only when used

        return EscposPrinter(connection, source, **options)
    return factory


PRINTER_BACKENDS: dict[str, Callable[..., ReceiptPrinter]] = {
    "file": _file, "usb": _escpos("usb"), "serial": _escpos("serial"),
    "network": _escpos("network")}


def make_printer(backend: str, source: str | None = None, **options: Any) -> ReceiptPrinter:
    """Build the printer registered under `backend` (not opened yet)."""
    try:
        factory = PRINTER_BACKENDS[backend]
    except KeyError:
        raise ValueError(f"unknown printer backend {backend!r}; "
                         f"choose one of {sorted(PRINTER_BACKENDS)}") from None
    return factory(source, **options)
