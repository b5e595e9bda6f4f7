"""The ID card reader driver over a real serial line (a pseudo-terminal) and the file reader."""
from __future__ import annotations

import json
import os
import threading
import tty

import pytest

from devices import idcard_protocol as proto
from devices.card_reader import FileCardReader, SerialCardReader, make_card_reader

CARD = proto.CardData(name="温建国", sex="1", nation="01", birth="19800101",
                      address="北京市东城区某某街道1号", id_number="11010119800101007X",
                      authority="北京市公安局东城分局", valid_from="20200101",
                      valid_to="20400101", photo_wlt=b"WLT" * 100)


class ReaderOnAPty:
    """A reader device at the far end of a pty, answering GA 450 frames."""

    def __init__(self, card: proto.CardData | None, corrupt: bool = False) -> None:
        self.card, self.corrupt = card, corrupt
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.port = os.ttyname(slave)
        self._slave = slave
        self.commands: list[tuple[int, int]] = []
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = os.read(self.master, n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def _serve(self) -> None:
        try:
            while not self._stop:
                head = self._read(7)
                body = proto.parse(head + self._read(proto.frame_length(head) - 7))
                command = (body[0], body[1])
                self.commands.append(command)
                if command == proto.FIND_CARD:
                    answer = proto.reply(proto.SW_FOUND if self.card else proto.SW_NO_CARD)
                elif command == proto.SELECT_CARD:
                    answer = proto.reply(proto.SW_OK)
                else:
                    answer = proto.reply(proto.SW_OK, proto.encode_basic(self.card))
                    if self.corrupt:
                        answer = answer[:-1] + bytes([answer[-1] ^ 0xFF])
                os.write(self.master, answer)
        except (EOFError, OSError):
            pass

    def close(self) -> None:
        self._stop = True
        os.close(self.master)
        os.close(self._slave)


@pytest.fixture
def device():
    made = []

    def make(card, corrupt=False):
        made.append(ReaderOnAPty(card, corrupt))
        return made[-1]

    yield make
    for d in made:
        d.close()


def test_reads_the_card_over_the_serial_line(device):
    dev = device(CARD)
    reader = SerialCardReader(dev.port, timeout=2.0)
    reader.open()
    assert reader.health().ok
    card = reader.read_card()
    assert card.id_number == "11010119800101007X" and card.name == "温建国"
    assert card.address.startswith("北京市") and card.photo_wlt.startswith(b"WLT")
    assert dev.commands == [proto.FIND_CARD, proto.SELECT_CARD, proto.READ_BASIC]
    assert "温建国" not in repr(card) and "11010119800101007X" not in repr(card)
    reader.close()


def test_no_card_on_the_reader(device):
    dev = device(None)
    reader = SerialCardReader(dev.port, timeout=2.0)
    reader.open()
    assert reader.read_card() is None and reader.health().ok
    reader.close()


def test_corrupt_frame_is_an_error_state_not_a_crash(device):
    reader = SerialCardReader(device(CARD, corrupt=True).port, timeout=2.0)
    reader.open()
    assert reader.read_card() is None
    assert reader.health().message_key == "device.card_reader.error"
    reader.close()


def test_missing_port_is_unavailable():
    reader = make_card_reader("serial", "/dev/no-such-reader")
    reader.open()
    assert reader.health().message_key == "device.card_reader.unavailable"
    assert reader.read_card() is None


def test_file_reader_shows_a_card_while_the_file_is_there(tmp_path):
    reader = FileCardReader(tmp_path)
    reader.open()
    assert reader.read_card() is None
    (tmp_path / "card.json").write_text(json.dumps({"name": "温建国", "id_number": CARD.id_number}),
                                        encoding="utf-8")
    assert reader.read_card().id_number == CARD.id_number
    (tmp_path / "card.json").write_text("{broken", encoding="utf-8")
    assert reader.read_card() is None and reader.health().state == "error"


def test_frame_round_trip_and_checksum():
    frame = proto.reply(proto.SW_OK, proto.encode_basic(CARD))
    body = proto.parse(frame)
    assert proto.decode_basic(body[3:]).valid_to == "20400101"
    with pytest.raises(proto.FrameError):
        proto.parse(frame[:-1] + bytes([frame[-1] ^ 1]))
