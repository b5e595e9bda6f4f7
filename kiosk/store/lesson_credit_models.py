"""The terminal's lesson-credit tables (revision 0007): credited time, furthest point,
quiz result per person and lesson, and the quizzes of the cached lessons."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Float, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.store.models import Base


class LessonCredit(Base):
    __tablename__ = "lesson_credits"
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lesson_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credited_s: Mapped[float] = mapped_column(Float, default=0.0)
    furthest_s: Mapped[float] = mapped_column(Float, default=0.0)
    position_s: Mapped[float] = mapped_column(Float, default=0.0)
    quiz_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quiz_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quiz_passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class CachedQuiz(Base):
    """A lesson's quiz as the centre sent it (contract.LessonQuiz as JSON)."""

    __tablename__ = "cached_lesson_quizzes"
    lesson_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    quiz_json: Mapped[str] = mapped_column(Text)
