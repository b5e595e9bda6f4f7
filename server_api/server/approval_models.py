"""The other approvals (执行地变更, 会客, 迁居, 经常性跨市县, 病情复查延期): one table.

Kept apart from ``models`` (same ``Base``); ``models`` imports this module at its end, so
``Base.metadata`` always holds the table.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server_api.server.models import Base, Person, UTCDateTime


class Approval(Base):
    """One request filed at a terminal; ``key`` is the idempotency key of its event."""

    __tablename__ = "approvals"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"))
    type: Mapped[str] = mapped_column(String(30), index=True)  # a contract.ApprovalType
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    counterpart: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)  # a contract.ApprovalStatus
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    person: Mapped[Person] = relationship()
