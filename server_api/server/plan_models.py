"""Tables of reporting plans (报到计划) and intake dates (Art 21), one row per person each.

Kept apart from ``models`` (same ``Base``); ``models`` imports this module at its end, so
``Base.metadata`` always holds these tables. The rules live in ``server_api.reporting_plan``.
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server_api.reporting_plan import Plan
from server_api.server.models import Base, Person, UTCDateTime


class ReportingPlan(Base):
    """The person's reporting plan as staff set it in the console (the latest wins)."""

    __tablename__ = "reporting_plans"
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # reporting_plan.KINDS
    start_date: Mapped[dt.date] = mapped_column(Date)
    window_days: Mapped[int] = mapped_column(Integer)
    due_day: Mapped[int] = mapped_column(Integer, default=0)
    dates_json: Mapped[str] = mapped_column(Text, default="[]")  # ISO dates, kind "dates"
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    person: Mapped[Person] = relationship()

    def plan(self) -> Plan:
        return Plan(kind=self.kind, start=self.start_date, window_days=self.window_days,
                    due_day=self.due_day,
                    dates=tuple(dt.date.fromisoformat(d) for d in json.loads(self.dates_json)))


class PersonIntake(Base):
    """The date the judgment took effect (or the hand-over for 暂予监外执行), Art 21."""

    __tablename__ = "person_intakes"
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    effective_date: Mapped[dt.date] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    person: Mapped[Person] = relationship()
