"""Lesson credit tables (revision 0014): group assignments, quizzes, credited time.

``models`` imports this module at its end, so ``Base.metadata`` always holds these tables.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server_api.server.models import Base, Centre, Lesson, Person, UTCDateTime


class LessonGroupAssignment(Base):
    """A lesson for every person of a centre, or of one case type (缓刑...) there.

    ``case_type`` "" means every case type. Persons who join the centre later get the
    lesson too; a person's own assignment (菜单式) stays in ``lesson_assignments``.
    """

    __tablename__ = "lesson_group_assignments"
    __table_args__ = (UniqueConstraint("lesson_id", "centre_id", "case_type",
                                       name="uq_lesson_group_assignments"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    case_type: Mapped[str] = mapped_column(String(20), default="")
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    lesson: Mapped[Lesson] = relationship()
    centre: Mapped[Centre] = relationship()


class LessonQuizRow(Base):
    """The optional quiz after a lesson (contract.LessonQuiz as JSON)."""

    __tablename__ = "lesson_quizzes"
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), primary_key=True,
                                           autoincrement=False)
    quiz_json: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class LessonCredit(Base):
    """Learning time credited while the verified person watched; furthest point; quiz."""

    __tablename__ = "lesson_credits"
    __table_args__ = (UniqueConstraint("lesson_id", "person_id",
                                       name="uq_lesson_credits_lesson_person"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    credited_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    furthest_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    position_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    quiz_score: Mapped[int | None] = mapped_column(Integer)
    quiz_total: Mapped[int | None] = mapped_column(Integer)
    quiz_passed: Mapped[bool | None] = mapped_column(Boolean)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    lesson: Mapped[Lesson] = relationship()
    person: Mapped[Person] = relationship()
