"""The terminal's copy of the other approvals (执行地变更, 会客, 迁居, 经常性跨市县,
病情复查延期): the facts filed here plus the last status heard from the centre.

Same ``Base`` as ``models``, which imports this module at its end.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.store.models import Base


class ApprovalRequest(Base):
    __tablename__ = "approval_requests"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    type: Mapped[str] = mapped_column(String(30))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    place: Mapped[str] = mapped_column(String(200), default="")
    counterpart: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    decision_note: Mapped[str] = mapped_column(Text, default="")
