"""Tables of the terminal fleet: reported health, staff commands, central configuration.

Kept apart from ``models`` (same ``Base``) so each file stays readable; ``models``
imports this module at its end, so ``Base.metadata`` always holds these tables.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server_api.server.models import Base, StaffUser, Terminal, UTCDateTime

# Command statuses: queued by staff, delivered in a heartbeat answer, answered.
COMMAND_QUEUED = "queued"
COMMAND_DELIVERED = "delivered"
COMMAND_DONE = "done"
COMMAND_FAILED = "failed"
COMMAND_OPEN = (COMMAND_QUEUED, COMMAND_DELIVERED)


class TerminalHealth(Base):
    """The latest heartbeat of a terminal, as it reported it (one row per terminal).

    ``clock_offset_s`` is server time minus terminal time when the heartbeat arrived.
    """

    __tablename__ = "terminal_health"
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    app_version: Mapped[str] = mapped_column(String(50))
    content_version: Mapped[str] = mapped_column(String(100), default="")
    content_bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    content_bytes_total: Mapped[int] = mapped_column(BigInteger, default=0)
    content_error: Mapped[str] = mapped_column(String(40), default="")
    config_version: Mapped[int] = mapped_column(Integer, default=0)
    devices_json: Mapped[str] = mapped_column(Text, default="{}")
    free_disk_bytes: Mapped[int] = mapped_column(BigInteger)
    outbox_depth: Mapped[int] = mapped_column(Integer)
    last_sync_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    terminal_time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    clock_offset_s: Mapped[float] = mapped_column(Float)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    in_use: Mapped[bool] = mapped_column(Boolean, default=False)


class TerminalCommand(Base):
    """A command staff queued for a terminal and, once answered, its result.

    ``attachment_path`` is a file under the data folder (logs as text/plain, a
    screenshot as image/png), written through ``storage``.
    """

    __tablename__ = "terminal_commands"
    __table_args__ = (Index("ix_terminal_commands_terminal_status", "terminal_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"))
    kind: Mapped[str] = mapped_column(String(30))  # a contract.CommandKind value
    status: Mapped[str] = mapped_column(String(20))  # a COMMAND_* value
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    message: Mapped[str] = mapped_column(Text, default="")
    attachment_path: Mapped[str | None] = mapped_column(String(500))
    attachment_type: Mapped[str | None] = mapped_column(String(30))
    terminal: Mapped[Terminal] = relationship()
    creator: Mapped[StaffUser | None] = relationship()


class ConfigSetting(Base):
    """The configuration keys staff set for a centre (``terminal_id`` empty) or for one
    terminal (``centre_id`` empty); only the keys set, as a JSON object.

    ``version`` takes the next value of ``ConfigCounter`` on every save, so a terminal's
    effective version (the larger of its centre's and its own) changes with any save
    that can change its configuration.
    """

    __tablename__ = "config_settings"
    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), unique=True)
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("terminals.id"), unique=True)
    values_json: Mapped[str] = mapped_column(Text, default="{}")
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


class ConfigCounter(Base):
    """One row: the last configuration version handed out (a row lock serialises saves)."""

    __tablename__ = "config_counter"
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
