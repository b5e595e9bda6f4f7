"""Tables of the terminal: the roster it serves, the actions it took, its outbox.

Every acknowledged action (check-in, leave request, return, lesson progress, enrolment,
staff call) is one row in its own table plus one ``outbox`` row, written in the same
transaction; the outbox is delivered to the central server in ``seq`` order.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Person(Base):
    __tablename__ = "persons"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    id_number: Mapped[str] = mapped_column(String(32))
    case_type: Mapped[str] = mapped_column(String(20))
    reporting_obligation: Mapped[str] = mapped_column(Text, default="")
    has_voice: Mapped[bool] = mapped_column(default=False)
    # The reporting plan (server_api.reporting_plan.Plan.to_json, "" for none) and the
    # latest check-in the server knew (naive UTC), from the roster (kiosk.reporting_due).
    reporting_plan: Mapped[str] = mapped_column(Text, default="", server_default="")
    last_checkin_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class FaceTemplate(Base):
    """A face template, sealed: ``vector`` opens only with context ``face:<person_id>``."""

    __tablename__ = "face_templates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float64 x 128
    source: Mapped[str] = mapped_column(String(10))  # "central" | "local"


class VoiceTemplate(Base):
    """A person's voice template (kiosk.voice.VoiceTemplate bytes), sealed with context
    ``voice:<person_id>``; one per person, the latest enrolment wins."""

    __tablename__ = "voice_templates"
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"),
                                           primary_key=True)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    model: Mapped[str] = mapped_column(String(80), default="")
    source: Mapped[str] = mapped_column(String(10))  # "central" | "local"


class Checkin(Base):
    __tablename__ = "checkins"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    match_score: Mapped[float] = mapped_column(Float)
    snapshot_jpeg: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # sealed


class LeaveRequest(Base):
    """A leave as this terminal knows it: local facts plus the last status heard."""

    __tablename__ = "leave_requests"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    destination: Mapped[str] = mapped_column(String(100))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    decision_note: Mapped[str] = mapped_column(Text, default="")
    returned_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class LessonProgress(Base):
    __tablename__ = "lesson_progress"
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lesson_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watched_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    position_seconds: Mapped[float] = mapped_column(Float, default=0.0)


class CachedLesson(Base):
    """The last lesson list heard from the centre, so lessons play offline."""

    __tablename__ = "cached_lessons"
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lesson_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)


class Outbox(Base):
    __tablename__ = "outbox"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    person_id: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)
    payload_sealed: Mapped[bytes] = mapped_column(LargeBinary)  # JSON, sealed (kiosk.sealing)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


class VerificationFailure(Base):
    """A failed identity check, kept with its evidence (sealed) for staff review."""

    __tablename__ = "verification_failures"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer)  # claimed or nearest person; 0: none
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(String(30))
    attempt: Mapped[int] = mapped_column(Integer)
    claimed: Mapped[bool] = mapped_column(default=False)
    face_distance: Mapped[float | None] = mapped_column(Float, nullable=True)
    stage: Mapped[str] = mapped_column(String(20), default="face")  # face | liveness | voice
    detail: Mapped[str] = mapped_column(Text, default="")  # JSON evidence figures (no biometrics)
    snapshot_jpeg: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # sealed


class StaffCall(Base):
    __tablename__ = "staff_calls"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer)
    screen: Mapped[str] = mapped_column(String(50))
    at: Mapped[dt.datetime] = mapped_column(DateTime)


class TerminalSetting(Base):
    """Fleet state that must survive a restart: the central configuration in force
    (``config``, TerminalConfig JSON) and the staff lock (``locked``, "1"/"0")."""

    __tablename__ = "terminal_settings"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class FleetCommand(Base):
    """A staff command this terminal received: run at most once per ``id``.

    ``status``: ``waiting`` (restart_app until nobody uses the terminal), ``running``
    (started; a restart in this state answers "failed"), ``done``/``failed`` (answered).
    ``result_sealed`` holds the CommandResult JSON (sealed, context ``command:<id>``: a
    screenshot may show a person) until the server acknowledges it; then it is dropped.
    """

    __tablename__ = "fleet_commands"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    result_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    acked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)


# The other approvals' table shares this Base (kept in its own module).
from kiosk.store import approval_models  # noqa: E402,F401
# The lesson-credit tables share this Base (kept in their own module for size).
from kiosk.store import lesson_credit_models  # noqa: E402,F401
from kiosk.store import questionnaire_models  # noqa: E402,F401  (shares Base)
