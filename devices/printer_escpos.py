"""ESC/POS rendering (python-escpos) and the real printers on USB, serial or network.

`render` writes a `Receipt` into any python-escpos printer object; the simulated printer
renders into python-escpos' `Dummy` and keeps the bytes, so both backends send the very
same stream. Chinese text is sent in the printer's Chinese mode (``FS &`` ... ``FS .``)
encoded as GB18030, the code page of printers sold in China; python-escpos' own text
encoder only knows single-byte code pages. QR codes are printed natively (``GS ( k``).
Before each receipt the printer is asked for its paper sensor (``DLE EOT 4``) and its
offline cause (``DLE EOT 2``, cover open), so a receipt is refused rather than lost.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from devices.base import DeviceError, DeviceHealth
from devices.printer import KIND, Feed, Qr, Receipt, Rule, Text, cover_open, paper_out

log = logging.getLogger(__name__)
INIT = b"\x1b@"
CHINESE_ON = b"\x1c&"   # FS &: Chinese (double-byte) character mode
CHINESE_OFF = b"\x1c."  # FS .: back to single-byte characters
STATUS_OFFLINE_CAUSE = b"\x10\x04\x02"  # DLE EOT 2
COVER_OPEN_BIT = 0x04
RULE_WIDTH = 32  # columns of a 58 mm printer in font A (an 80 mm one has 48)
PRINTER_ENCODING = "gb18030"


def _text_bytes(text: str) -> bytes:
    """ASCII as is; any other run of characters in Chinese mode, GB18030-encoded."""
    out, run = bytearray(), []

    def flush() -> None:
        if run:
            out.extend(CHINESE_ON + "".join(run).encode(PRINTER_ENCODING) + CHINESE_OFF)
            run.clear()

    for ch in text:
        if ord(ch) < 128:
            flush()
            if ch.isprintable():
                out.extend(ch.encode("ascii"))
        else:
            run.append(ch)
    flush()
    return bytes(out)


def render(receipt: Receipt, printer: Any) -> None:
    """Write the receipt into a python-escpos printer object (then cut the paper)."""
    printer._raw(INIT)
    for block in receipt.blocks:
        if isinstance(block, Text):
            printer.set(align=block.align, bold=block.bold, double_width=block.big,
                        double_height=block.big, normal_textsize=not block.big)
            printer._raw(_text_bytes(block.text) + b"\n")
        elif isinstance(block, Qr):
            printer.set(align="center")
            printer.qr(block.payload, size=block.size, native=True)
            printer._raw(b"\n")
        elif isinstance(block, Rule):
            printer.set(align="left", bold=False, normal_textsize=True)
            printer._raw(b"-" * RULE_WIDTH + b"\n")
        elif isinstance(block, Feed):
            printer.ln(block.lines)
        else:
            raise TypeError(f"unknown receipt block {block!r}")
    printer.set(align="left", bold=False, normal_textsize=True)
    printer.cut()


def render_bytes(receipt: Receipt) -> bytes:
    """The receipt's whole ESC/POS byte stream."""
    from escpos.printer import Dummy

    dummy = Dummy()
    render(receipt, dummy)
    return dummy.output


def _parse_source(connection: str, source: str | None) -> dict[str, Any]:
    """Connection arguments from ``KIOSK_PRINTER_SOURCE``.

    usb: ``VID:PID`` in hex (e.g. ``0416:5011``); serial: ``/dev/ttyS0`` or
    ``/dev/ttyS0@9600``; network: ``host`` or ``host:port`` (default port 9100).
    """
    if connection == "usb":
        if not source or ":" not in source:
            raise ValueError("the 'usb' printer backend needs VID:PID, e.g. 0416:5011")
        vendor, product = source.split(":", 1)
        return {"idVendor": int(vendor, 16), "idProduct": int(product, 16)}
    if connection == "serial":
        port, _, baud = (source or "/dev/ttyUSB1").partition("@")
        return {"devfile": port, "baudrate": int(baud or 9600)}
    if connection == "network":
        if not source:
            raise ValueError("the 'network' printer backend needs host[:port]")
        host, _, port = source.partition(":")
        return {"host": host, "port": int(port or 9100)}
    raise ValueError(f"unknown printer connection {connection!r}")


class EscposPrinter:
    """A real ESC/POS printer reached by python-escpos (``usb``, ``serial``, ``network``)."""

    def __init__(self, connection: str, source: str | None, timeout: float = 5.0) -> None:
        self.connection = connection
        self.args = _parse_source(connection, source)
        self.timeout = timeout
        self.label = f"{connection}:{source}"
        self._device: Any = None
        self._health = DeviceHealth.not_open(KIND)
        self._lock = threading.Lock()

    def _build(self) -> Any:
        from escpos import printer as escpos_printer

        if self.connection == "usb":
            return escpos_printer.Usb(timeout=int(self.timeout * 1000), **self.args)
        if self.connection == "serial":
            return escpos_printer.Serial(timeout=self.timeout, **self.args)
        return escpos_printer.Network(timeout=self.timeout, **self.args)

    def open(self) -> None:
        with self._lock:
            self._connect()
            if self._device is not None:
                self._health = self._query()

    def _connect(self) -> None:
        try:
            device = self._build()
            device.open(raise_not_found=True)
        except Exception as exc:  # noqa: BLE001 - escpos raises many kinds; the UI needs one
            self._device = None
            self._health = DeviceHealth.unavailable(KIND, f"{self.label}: {exc}"[:200])
            return
        self._device = device

    def _query(self) -> DeviceHealth:
        """Ask the printer for paper and cover; no answer counts as no news."""
        try:
            if self._device.paper_status() == 0:
                return paper_out(self.label)
            cause = self._device.query_status(STATUS_OFFLINE_CAUSE)
            if cause and cause[0] & COVER_OPEN_BIT:
                return cover_open(self.label)
        except TimeoutError:
            log.info("printer %s did not answer the status query", self.label)
        except Exception as exc:  # noqa: BLE001
            self._drop()
            return DeviceHealth.failed(KIND, f"{self.label}: {exc}"[:200])
        return DeviceHealth.healthy(KIND, self.label)

    def health(self) -> DeviceHealth:
        if self._lock.acquire(timeout=0.1):  # never wait behind a receipt being printed
            try:
                if self._device is not None:
                    self._health = self._query()
            finally:
                self._lock.release()
        return self._health

    def print_receipt(self, receipt: Receipt) -> None:
        with self._lock:
            if self._device is None:
                self._connect()  # a printer plugged in (or switched on) since
                if self._device is None:
                    raise DeviceError.from_health(self._health)
            self._health = self._query()
            if not self._health.ok:
                raise DeviceError.from_health(self._health)
            try:
                render(receipt, self._device)
            except Exception as exc:  # noqa: BLE001
                self._drop()
                self._health = DeviceHealth.failed(KIND, f"{self.label}: {exc}"[:200])
                raise DeviceError.from_health(self._health) from exc

    def _drop(self) -> None:
        try:
            if self._device is not None:
                self._device.close()
        except Exception:  # noqa: BLE001
            pass
        self._device = None

    def close(self) -> None:
        with self._lock:
            self._drop()
            self._health = DeviceHealth.not_open(KIND)
