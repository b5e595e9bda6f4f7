"""Receipt printer: the simulated printer and a real ESC/POS network printer on loopback.

The byte streams are read back by tests/devices/escpos_reader.py (strict: an unknown
command or a stray control byte fails).
"""
from __future__ import annotations

import socket
import threading

import pytest

from devices.base import DeviceError
from devices.printer import (
    COVER_OPEN_FLAG, PAPER_OUT_FLAG, Feed, FilePrinter, Qr, Receipt, Rule, Text, make_printer,
)
from devices.printer_escpos import _parse_source, render_bytes
from tests.devices.escpos_reader import read

RECEIPT = Receipt("checkin-20261202-ABC123", (
    Text("社区矫正自助终端", align="center"), Text("报到回执", align="center", bold=True, big=True),
    Rule(), Text("编号：20261202-ABC123"), Text("目的地：广西壮族自治区 A-1"), Qr("20261202-ABC123"),
    Feed(1)))


def test_the_byte_stream_reads_back_as_chinese_text_and_a_native_qr_code():
    printed = read(render_bytes(RECEIPT))
    assert "社区矫正自助终端" in printed.lines
    assert "报到回执" in printed.big_lines and "报到回执" in printed.bold_lines
    assert "编号：20261202-ABC123" in printed.lines
    assert "目的地：广西壮族自治区 A-1" in printed.lines  # mixed Chinese and ASCII
    assert printed.qr_payloads == ["20261202-ABC123"]
    assert printed.cuts == 1 and printed.chinese_mode_bytes > 0


def test_control_bytes_in_a_text_never_reach_the_printer():
    """A text cannot carry a printer command (e.g. ESC @ or a cut)."""
    data = render_bytes(Receipt("x", (Text("北京市\x1b@\x1dV\x00X\n"),)))
    printed = read(data)  # strict: would fail on a stray command
    assert "北京市@V X" not in printed.text and "北京市@VX" in printed.lines
    assert printed.cuts == 1  # only the receipt's own cut


def test_simulated_printer_writes_each_receipt_to_its_own_file(tmp_path):
    printer = make_printer("file", str(tmp_path / "printer"))
    with pytest.raises(DeviceError):
        printer.print_receipt(RECEIPT)  # not opened yet
    printer.open()
    assert printer.health().ok
    printer.print_receipt(RECEIPT)
    printer.print_receipt(RECEIPT)
    files = printer.printed()
    assert [f.name for f in files] == ["0001-checkin-20261202-ABC123.bin",
                                       "0002-checkin-20261202-ABC123.bin"]
    assert files[0].read_bytes() == render_bytes(RECEIPT)  # the same stream as a real printer gets


@pytest.mark.parametrize("flag,key", [(PAPER_OUT_FLAG, "device.printer.paper_out"),
                                      (COVER_OPEN_FLAG, "device.printer.cover_open")])
def test_simulated_printer_out_of_paper_or_open_refuses_and_says_why(tmp_path, flag, key):
    printer = FilePrinter(tmp_path)
    printer.open()
    (tmp_path / flag).touch()
    health = printer.health()
    assert health.state == "error" and health.message_key == key
    with pytest.raises(DeviceError) as err:
        printer.print_receipt(RECEIPT)
    assert err.value.message_key == key
    assert printer.printed() == []  # nothing half printed
    (tmp_path / flag).unlink()  # staff loaded paper / closed the cover
    assert printer.health().ok
    printer.print_receipt(RECEIPT)
    assert len(printer.printed()) == 1


class LoopbackPrinter:
    """A network ESC/POS printer on 127.0.0.1: keeps what it receives, answers DLE EOT."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.paper = 0x12     # DLE EOT 4 answer: paper adequate
        self.offline = 0x12   # DLE EOT 2 answer: cover closed
        self.hung_up = threading.Event()  # the printer's client closed a connection
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                while chunk := conn.recv(4096):
                    self.received.extend(chunk)
                    if chunk.endswith(b"\x10\x04\x04"):
                        conn.sendall(bytes([self.paper]))
                    elif chunk.endswith(b"\x10\x04\x02"):
                        conn.sendall(bytes([self.offline]))
            self.hung_up.set()

    def receipt_bytes(self) -> bytes:
        """What was received once the client hung up (the reading thread may lag behind)."""
        assert self.hung_up.wait(10), "the printer client never closed its connection"
        return bytes(self.received).replace(b"\x10\x04\x04", b"").replace(b"\x10\x04\x02", b"")

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def loopback():
    printer = LoopbackPrinter()
    yield printer
    printer.close()


def test_network_printer_gets_the_same_stream_as_the_simulator(loopback):
    printer = make_printer("network", f"127.0.0.1:{loopback.port}", timeout=2.0)
    printer.open()
    assert printer.health().ok
    printer.print_receipt(RECEIPT)
    printer.close()
    assert loopback.receipt_bytes() == render_bytes(RECEIPT)


def test_network_printer_out_of_paper_or_cover_open_is_refused(loopback):
    printer = make_printer("network", f"127.0.0.1:{loopback.port}", timeout=2.0)
    printer.open()
    loopback.paper = 0x72  # paper end sensor
    with pytest.raises(DeviceError) as err:
        printer.print_receipt(RECEIPT)
    assert err.value.message_key == "device.printer.paper_out"
    assert printer.health().message_key == "device.printer.paper_out"
    loopback.paper, loopback.offline = 0x12, 0x16  # paper loaded, cover left open
    assert printer.health().message_key == "device.printer.cover_open"
    loopback.offline = 0x12
    assert printer.health().ok
    printer.close()
    assert loopback.receipt_bytes() == b""  # nothing of the refused receipt was sent


def test_a_missing_network_printer_is_unavailable_not_a_crash():
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]  # closed again below: nobody listens there
    printer = make_printer("network", f"127.0.0.1:{port}", timeout=1.0)
    printer.open()
    assert printer.health().message_key == "device.printer.unavailable"
    with pytest.raises(DeviceError) as err:
        printer.print_receipt(RECEIPT)
    assert err.value.message_key == "device.printer.unavailable"


def test_backends_are_chosen_by_settings_and_sources_parsed():
    assert _parse_source("usb", "0416:5011") == {"idVendor": 0x0416, "idProduct": 0x5011}
    assert _parse_source("serial", "/dev/ttyS1@19200") == {"devfile": "/dev/ttyS1",
                                                           "baudrate": 19200}
    assert _parse_source("network", "10.0.0.9") == {"host": "10.0.0.9", "port": 9100}
    with pytest.raises(ValueError, match="VID:PID"):
        make_printer("usb", "printer")
    with pytest.raises(ValueError, match="unknown printer backend"):
        make_printer("laser", None)
    usb = make_printer("usb", "0416:5011")
    usb.open()  # no such device here: a clear state, never an exception
    assert usb.health().message_key == "device.printer.unavailable"
