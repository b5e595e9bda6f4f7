"""Tables of the central server (SQLAlchemy 2 declarative).

Times are stored as naive UTC and always handed back as aware UTC (``UTCDateTime``), so
SQLite and PostgreSQL behave alike. Files (snapshots, voice samples, lessons) live under
the data folder; rows hold their path relative to it.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean, Date, DateTime, Float, ForeignKey, Integer, LargeBinary, MetaData, String, Text,
    TypeDecorator, UniqueConstraint, false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Largest id a lookup accepts: PostgreSQL's INTEGER; bigger numbers cannot name a row.
MAX_ID = 2**31 - 1

# Stable constraint names: Alembic needs them to alter tables on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime stored as naive UTC on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Centre(Base):
    __tablename__ = "centres"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class StaffUser(Base):
    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # "admin" sees all centres, "staff" one centre, "editor" only the lesson library.
    role: Mapped[str] = mapped_column(String(20))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    centre: Mapped[Centre | None] = relationship()


class LoginThrottle(Base):
    """Failed sign-ins counted per account name or per client address (``key``).

    Kept in the database so a lockout holds across every worker process. A row exists
    for any name tried, whether or not such an account exists, so a lockout never tells
    which usernames are real.
    """

    __tablename__ = "login_throttles"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)  # "user:..." / "addr:..."
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Person(Base):
    """A supervised person (社区矫正对象) of one centre.

    A person staff removed (``removal``) keeps the row, because check-ins and other
    records refer to it, but loses every biometric and leaves the terminals' roster.
    """

    __tablename__ = "persons"
    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    case_type: Mapped[str] = mapped_column(String(20))  # a contract.CaseType value
    reporting_obligation: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # A minor (未成年人, Arts 52, 54): only the assigned staff member sees their records,
    # the terminals show no full name, exports leave them out unless asked.
    is_minor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # a staff_users.id; no foreign key (revision 0015 explains why)
    assigned_staff_id: Mapped[int | None] = mapped_column(Integer)
    centre: Mapped[Centre] = relationship()
    face_templates: Mapped[list[FaceTemplate]] = relationship(
        order_by="FaceTemplate.id", cascade="all, delete-orphan")
    voice_samples: Mapped[list[VoiceSample]] = relationship(
        order_by="VoiceSample.id", cascade="all, delete-orphan")
    voice_template: Mapped[VoiceTemplate | None] = relationship(cascade="all, delete-orphan")
    removal: Mapped[PersonRemoval | None] = relationship()

    @property
    def removed(self) -> bool:
        return self.removal is not None


# Where a face template came from: enrolment at a terminal, or a failed check that staff
# confirmed was the genuine person (``VerificationFailure``).
TEMPLATE_ENROLMENT = "enrolment"
TEMPLATE_STAFF_CONFIRMED = "staff_confirmed"


class FaceTemplate(Base):
    """A 128-d face encoding of a person; a new enrolment replaces all of them."""

    __tablename__ = "face_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    encoding_json: Mapped[str] = mapped_column(Text)  # JSON list of 128 floats
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(20), default=TEMPLATE_ENROLMENT,
                                        server_default=TEMPLATE_ENROLMENT)
    # The failed check a staff-confirmed template came from.
    verification_failure_id: Mapped[int | None] = mapped_column(
        ForeignKey("verification_failures.id"))


class VoiceTemplate(Base):
    """The latest voice template of a person: an opaque blob the terminals made and use.

    ``created_at`` is when the enrolment happened at the terminal (its event's time), so
    an older enrolment delivered late does not replace a newer one.
    """

    __tablename__ = "voice_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    model: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class PersonRemoval(Base):
    """Staff removed a person (end of supervision, registered by mistake...).

    Their face and voice templates and voice recordings were deleted then; the records
    of what they did (check-ins, leaves...) stay as the legal record.
    """

    __tablename__ = "person_removals"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), unique=True)
    removed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    removed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")


class VoiceSample(Base):
    """A WAV recording of a voice enrolment, kept as evidence (those of the latest one)."""

    __tablename__ = "voice_samples"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    path: Mapped[str] = mapped_column(String(500))
    seconds: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Terminal(Base):
    """An enrolled terminal and the public half of the key pair it made at provisioning.

    ``public_key`` is base64 of the 32 raw Ed25519 bytes (``server_api.signing``); it is
    unique, so a key can never serve two terminals nor come back after a revocation. It
    is empty only for a terminal enrolled before signed requests (revision 0005): such a
    terminal is refused until it is provisioned again.
    """

    __tablename__ = "terminals"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(64), unique=True)  # the API's terminal_id
    name: Mapped[str] = mapped_column(String(100))
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    public_key: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Suspended by staff (暂停接入): refused until they let it back in; the key stays.
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    centre: Mapped[Centre] = relationship()


class TerminalNonce(Base):
    """A signature nonce a terminal used, kept until a request carrying it is stale anyway.

    The primary key (terminal, nonce) is what refuses a replay, across every worker
    process; ``expires_at`` is the signature's ``created`` plus the allowed clock skew,
    after which the row is purged.
    """

    __tablename__ = "terminal_nonces"
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class EnrolToken(Base):
    """A one-time token staff hand to the installer of a new terminal."""

    __tablename__ = "enrol_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("terminals.id"))


class Event(Base):
    """One accepted terminal event; the unique key makes redelivery harmless.

    ``person_id`` is empty only for a staff call or a verification failure made while
    nobody was identified.
    """

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("terminal_id", "idempotency_key",
                                       name="uq_events_terminal_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(30))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Checkin(Base):
    __tablename__ = "checkins"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    match_score: Mapped[float] = mapped_column(Float)
    snapshot_path: Mapped[str | None] = mapped_column(String(500))
    person: Mapped[Person] = relationship()
    terminal: Mapped[Terminal] = relationship()


class StaffCall(Base):
    """A call for help (呼叫工作人员) from a terminal, open until staff resolve it.

    ``person_id`` is empty when nobody was identified at the terminal; the centre of a
    call is its terminal's centre.
    """

    __tablename__ = "staff_calls"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    screen: Mapped[str] = mapped_column(String(50))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    terminal: Mapped[Terminal] = relationship()
    person: Mapped[Person | None] = relationship()


# Review states of a verification failure.
REVIEW_OPEN = "open"
REVIEW_CONFIRMED = "confirmed_genuine"
REVIEW_DISMISSED = "dismissed"
REVIEW_STATUSES = (REVIEW_OPEN, REVIEW_CONFIRMED, REVIEW_DISMISSED)


class VerificationFailure(Base):
    """A failed identity check at a terminal, with its evidence, for staff to review.

    ``person_id`` is the claimed person or the nearest candidate, empty when nobody was
    proposed; the centre of a failure is its terminal's centre. Staff who confirm that the
    attempt was the genuine person may add ``face_encoding_json`` to the person's
    templates (not for a spoof suspect); it is cleared when the person is removed.
    """

    __tablename__ = "verification_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    reason: Mapped[str] = mapped_column(String(30))
    claimed: Mapped[bool] = mapped_column(Boolean)  # 1:1 (ID given) rather than 1:N
    face_distance: Mapped[float | None] = mapped_column(Float)
    voice_score: Mapped[float | None] = mapped_column(Float)
    attempt: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    snapshot_path: Mapped[str | None] = mapped_column(String(500))
    face_encoding_json: Mapped[str | None] = mapped_column(Text)  # JSON list of 128 floats
    review_status: Mapped[str] = mapped_column(String(20), index=True)  # a REVIEW_* value
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    review_note: Mapped[str] = mapped_column(Text, default="")
    # Evidence the terminal gave (all optional): the stage where the check stopped and
    # the figures of the liveness, voice and lip-sync checks.
    stage: Mapped[str | None] = mapped_column(String(10))
    liveness_reason: Mapped[str | None] = mapped_column(String(40))
    challenges_json: Mapped[str | None] = mapped_column(Text)  # JSON list of names
    voice_reason: Mapped[str | None] = mapped_column(String(40))
    voice_threshold: Mapped[float | None] = mapped_column(Float)
    lipsync_decision: Mapped[str | None] = mapped_column(String(40))
    lipsync_r: Mapped[float | None] = mapped_column(Float)
    face_ratio: Mapped[float | None] = mapped_column(Float)
    terminal: Mapped[Terminal] = relationship()
    person: Mapped[Person | None] = relationship()
    reviewer: Mapped[StaffUser | None] = relationship()
    # The face template staff added from this failure, if any.
    reference: Mapped[FaceTemplate | None] = relationship(
        primaryjoin="FaceTemplate.verification_failure_id == VerificationFailure.id",
        foreign_keys="FaceTemplate.verification_failure_id", viewonly=True)


class Leave(Base):
    """A leave request (请假/外出); ``key`` is the idempotency key of its event."""

    __tablename__ = "leaves"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"))
    destination: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)  # a contract.LeaveStatus
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    returned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Who approves (server_api.leave_rules.APPROVAL_LEVELS), fixed when the request came.
    approval_level: Mapped[str] = mapped_column(String(10), default="centre",
                                                server_default="centre")
    # A standing approval for frequent cross-city travel (经常性跨市县).
    frequent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    person: Mapped[Person] = relationship()


class Lesson(Base):
    __tablename__ = "lessons"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded, for staff
    path: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class LessonAssignment(Base):
    __tablename__ = "lesson_assignments"
    __table_args__ = (UniqueConstraint("lesson_id", "person_id",
                                       name="uq_lesson_assignments_lesson_person"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    lesson: Mapped[Lesson] = relationship()
    person: Mapped[Person] = relationship()


class LessonProgress(Base):
    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("lesson_id", "person_id",
                                       name="uq_lesson_progress_lesson_person"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    watched_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    position_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Append-only record of staff actions (who did what, when).

    Database triggers (revision 0007) refuse any UPDATE or DELETE of its rows.
    """

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


# The fleet's tables share this Base (kept in their own module for size).
from server_api.server import fleet_models  # noqa: E402,F401
from server_api.server import approval_models  # noqa: E402,F401
from server_api.server import report_models  # noqa: E402,F401
# Reporting plans and intake dates (Art 21), in their own module.
from server_api.server import plan_models  # noqa: E402,F401

# The lesson-credit tables share this Base too (kept in their own module for size).
from server_api.server import lesson_credit_models  # noqa: E402,F401
from server_api.server import questionnaire_models  # noqa: E402,F401
