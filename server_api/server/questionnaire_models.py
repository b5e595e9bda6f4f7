"""Tables of questionnaires (心理测评): assignments staff make and the results terminals send.

The definitions themselves are files (``content/questionnaires``), published as they
are; a row names the definition it used by id and version, and a result keeps the
score and band computed with that very version, so a later version never changes it.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server_api.server.models import Base, Person, Terminal, UTCDateTime


class QuestionnaireAssignment(Base):
    """A questionnaire staff asked a person to answer at a terminal; open until answered."""

    __tablename__ = "questionnaire_assignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    questionnaire_id: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    person: Mapped[Person] = relationship()


class QuestionnaireResult(Base):
    """A completed questionnaire: the answers, and the score of its definition's version.

    Seen by staff only; the terminal never shows a score.
    """

    __tablename__ = "questionnaire_results"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_assignments.id",
                                                          name="fk_questionnaire_results_assignment"),
                                               unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"))
    questionnaire_id: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    answers_json: Mapped[str] = mapped_column(Text)  # JSON list of the chosen values
    total: Mapped[int] = mapped_column(Integer)
    band: Mapped[str] = mapped_column(String(40))
    critical: Mapped[bool] = mapped_column(Boolean)
    critical_json: Mapped[str] = mapped_column(Text, default="[]")  # codes of critical items
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    person: Mapped[Person] = relationship()
    terminal: Mapped[Terminal] = relationship()
