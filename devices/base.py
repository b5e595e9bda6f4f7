"""Shared pieces of every device: the health record the UI shows and the one error type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

HealthState = Literal["ok", "unavailable", "error"]

OK: HealthState = "ok"
UNAVAILABLE: HealthState = "unavailable"
ERROR: HealthState = "error"


@dataclass(frozen=True)
class DeviceHealth:
    """State of one device: what the UI shows (`message_key`) and what the log keeps (`detail`).

    Message keys follow ``device.<kind>.<reason>``: ``ok``, ``not_open`` (state
    "unavailable", the device was not opened yet or was closed), ``unavailable``
    (no such device or source) and ``error`` (it exists but fails).
    """

    state: HealthState
    message_key: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when the device works."""
        return self.state == OK

    @classmethod
    def healthy(cls, kind: str, detail: str = "") -> "DeviceHealth":
        """Health of a working device of this kind."""
        return cls(OK, f"device.{kind}.ok", detail)

    @classmethod
    def not_open(cls, kind: str) -> "DeviceHealth":
        """Health of a device that was not opened (or was closed)."""
        return cls(UNAVAILABLE, f"device.{kind}.not_open", "not open")

    @classmethod
    def unavailable(cls, kind: str, detail: str = "") -> "DeviceHealth":
        """Health of a device (or file source) that is missing."""
        return cls(UNAVAILABLE, f"device.{kind}.unavailable", detail)

    @classmethod
    def failed(cls, kind: str, detail: str = "") -> "DeviceHealth":
        """Health of a device that is present but fails."""
        return cls(ERROR, f"device.{kind}.error", detail)


class DeviceError(Exception):
    """A device operation failed; `message_key` is what the UI translates and shows."""

    def __init__(self, message_key: str, detail: str = "") -> None:
        """Keep the translation key and the log detail."""
        super().__init__(f"{message_key}: {detail}" if detail else message_key)
        self.message_key = message_key
        self.detail = detail

    @classmethod
    def from_health(cls, health: DeviceHealth) -> "DeviceError":
        """Error that carries the key and detail of a (bad) health record."""
        return cls(health.message_key, health.detail)
