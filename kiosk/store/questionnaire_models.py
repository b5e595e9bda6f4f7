"""Terminal tables of questionnaires (心理测评): what is assigned, the definitions, what
was sent.

No answer and no score is kept here: the answers travel sealed in the outbox only.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.store.models import Base


class CachedQuestionnaire(Base):
    """An open assignment as last heard from the centre, so it can be answered offline."""

    __tablename__ = "cached_questionnaires"
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    questionnaire_id: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    title_zh: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str] = mapped_column(String(500), default="")
    sha256: Mapped[str] = mapped_column(String(64))


class QuestionnaireDefinition(Base):
    """A published definition file, kept byte for byte (verified by its sha256)."""

    __tablename__ = "questionnaire_definitions"
    questionnaire_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class QuestionnaireSubmission(Base):
    """A questionnaire answered here (its outbox row carries the answers, sealed)."""

    __tablename__ = "questionnaire_submissions"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    assignment_id: Mapped[int] = mapped_column(Integer)
    questionnaire_id: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
