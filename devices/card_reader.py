"""ID card reader: a second-generation card reader on a serial port, or a folder of cards.

``read_card()`` returns the card on the reader, or None when there is none. The reader
hands back what the card says; callers keep it only for the session (it is personal
data and the photo is biometric).
"""
from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any, Callable, Protocol, runtime_checkable

from devices import idcard_protocol as proto
from devices.base import DeviceHealth

log = logging.getLogger(__name__)
KIND = "card_reader"


@runtime_checkable
class CardReader(Protocol):
    def open(self) -> None:
        """Connect; never raises for a missing reader (see `health()`)."""

    def read_card(self) -> proto.CardData | None:
        """The card on the reader now, or None."""

    def health(self) -> DeviceHealth:
        """Current state for the UI and the logs."""

    def close(self) -> None:
        """Release the port; safe to call twice."""


class SerialCardReader:
    """A GA 450 reader on a serial port (pyserial), e.g. ``/dev/ttyUSB0`` at 115200 baud."""

    def __init__(self, port: str, baudrate: int = 115200, timeout: float = 1.0,
                 serial_factory: Callable[..., Any] | None = None) -> None:
        self.port, self.baudrate, self.timeout = port, baudrate, timeout
        self._factory = serial_factory
        self._serial: Any = None
        self._health = DeviceHealth.not_open(KIND)
        self._lock = threading.Lock()

    def open(self) -> None:
        import serial  # pyserial; imported when a reader is really used

        factory = self._factory or serial.serial_for_url
        try:
            self._serial = factory(self.port, baudrate=self.baudrate, timeout=self.timeout)
            self._health = DeviceHealth.healthy(KIND, self.port)
        except (serial.SerialException, OSError) as exc:
            self._serial = None
            self._health = DeviceHealth.unavailable(KIND, f"{self.port}: {exc}")

    def _exchange(self, command: tuple[int, int]) -> tuple[int, bytes]:
        self._serial.reset_input_buffer()
        self._serial.write(proto.request(command))
        head = self._serial.read(7)
        if len(head) < 7:
            raise proto.FrameError("no answer from the reader")
        rest = self._serial.read(proto.frame_length(head) - 7)
        body = proto.parse(head + rest)
        if len(body) < 3:
            raise proto.FrameError("reply without status")
        return body[2], body[3:]

    def read_card(self) -> proto.CardData | None:
        if self._serial is None:
            return None
        with self._lock:
            try:
                status, _ = self._exchange(proto.FIND_CARD)
                if status != proto.SW_FOUND:
                    return None
                status, _ = self._exchange(proto.SELECT_CARD)
                if status != proto.SW_OK:
                    return None
                status, data = self._exchange(proto.READ_BASIC)
                if status != proto.SW_OK:
                    return None
                card = proto.decode_basic(data)
                self._health = DeviceHealth.healthy(KIND, self.port)
                return card
            except (proto.FrameError, OSError) as exc:
                self._health = DeviceHealth.failed(KIND, f"{self.port}: {exc}")
                log.warning("card reader error on %s: %s", self.port, type(exc).__name__)
                return None

    def health(self) -> DeviceHealth:
        return self._health

    def close(self) -> None:
        if self._serial is not None:
            self._serial.close()
            self._serial = None
        self._health = DeviceHealth.not_open(KIND)


class FileCardReader:
    """Simulated reader: a card "is on the reader" while ``<folder>/card.json`` exists.

    The JSON holds the text fields of :class:`CardData` (name, sex, nation, birth,
    address, id_number, authority, valid_from, valid_to).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._health = DeviceHealth.not_open(KIND)

    def open(self) -> None:
        self._health = (DeviceHealth.healthy(KIND, str(self.folder)) if self.folder.is_dir()
                        else DeviceHealth.unavailable(KIND, f"{self.folder} missing"))

    def read_card(self) -> proto.CardData | None:
        if not self.folder.is_dir():
            self._health = DeviceHealth.unavailable(KIND, f"{self.folder} missing")
            return None
        path = self.folder / "card.json"
        if not path.exists():
            return None
        try:
            fields = json.loads(path.read_text(encoding="utf-8"))
            card = proto.CardData(**{name: str(fields.get(name, "")) for name, _ in proto.TEXT_FIELDS
                                     if name != "reserved"})
        except (ValueError, TypeError, OSError) as exc:
            self._health = DeviceHealth.failed(KIND, f"{path.name}: {exc}")
            return None
        self._health = DeviceHealth.healthy(KIND, str(self.folder))
        return card

    def health(self) -> DeviceHealth:
        return self._health

    def close(self) -> None:
        self._health = DeviceHealth.not_open(KIND)


def _serial(source: str | None, **options: Any) -> SerialCardReader:
    return SerialCardReader(source or "/dev/ttyUSB0", **options)


def _file(source: str | None, **options: Any) -> FileCardReader:
    if not source:
        raise ValueError("the 'file' card reader backend needs a folder")
    return FileCardReader(source, **options)


CARD_READER_BACKENDS: dict[str, Callable[..., CardReader]] = {"serial": _serial, "file": _file}


def make_card_reader(backend: str, source: str | None = None, **options: Any) -> CardReader:
    """Build the reader registered under `backend` (not opened yet)."""
    try:
        factory = CARD_READER_BACKENDS[backend]
    except KeyError:
        raise ValueError(f"unknown card reader backend {backend!r}; "
                         f"choose one of {sorted(CARD_READER_BACKENDS)}") from None
    return factory(source, **options)
