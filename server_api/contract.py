"""The API contract between terminals and the central server (version 1).

Both sides import these models: the reference server validates requests with them and
the kiosk's client builds requests from them, so a change here is a change of the
contract. Paths are under ``/api/v1``. Every terminal request (all but enrolment)
carries an HTTP Message Signature (RFC 9421) made with the Ed25519 key the terminal
generated at enrolment: ``Signature-Input`` and ``Signature`` headers covering
``"@method" "@path" "@query" "content-digest"`` (RFC 9530 ``Content-Digest`` sha-256
of the body) with the parameters ``created``, ``keyid`` (the terminal id),
``alg="ed25519"`` and a fresh ``nonce`` (``server_api.signing`` has the profile). A
refused request answers 401 with one of the codes ``signature_missing``,
``signature_invalid``, ``digest_mismatch``, ``signature_expired`` (``created`` too far
from the server's clock, 300 s by default), ``nonce_replayed``, ``terminal_unknown``,
``terminal_revoked`` (final: the terminal must be provisioned again), ``terminal_disabled``
(staff suspended it for a while; its outbox waits until they let it back in).

Errors are JSON: ``{"error": {"code": "<stable_code>", "message": "<english text>"}}``.
"""
from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, Field

API_PREFIX = "/api/v1"


class CaseType(str, Enum):
    """The four kinds of community sentence (社区矫正对象 categories)."""

    guanzhi = "管制"
    huanxing = "缓刑"
    jiashi = "假释"
    zanyu = "暂予监外执行"


class LeaveStatus(str, Enum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    closed = "closed"  # the person reported back (销假)


class EventKind(str, Enum):
    checkin = "checkin"
    leave_request = "leave_request"
    leave_return = "leave_return"
    lesson_progress = "lesson_progress"
    face_enrolment = "face_enrolment"
    voice_enrolment = "voice_enrolment"
    staff_call = "staff_call"
    verification_failure = "verification_failure"
    approval_request = "approval_request"
    written_report = "written_report"
    lesson_credit = "lesson_credit"
    questionnaire_result = "questionnaire_result"


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


# --- enrolment of a terminal (POST /api/v1/terminals/enrol, no signature) --------------

class EnrolRequest(BaseModel):
    token: str = Field(min_length=1, max_length=200)
    name: str = Field(default="terminal", min_length=1, max_length=100)
    # The terminal's own Ed25519 public key, PEM SubjectPublicKeyInfo; the private key
    # never leaves the terminal. A key already known to the server is refused (409).
    public_key: str = Field(min_length=1, max_length=1000)


class EnrolResponse(BaseModel):
    terminal_id: str  # the keyid of the terminal's signatures
    centre_id: int
    centre_name: str


# --- roster (GET /api/v1/terminal/roster) -----------------------------------------------
# The persons of the terminal's centre only, never another centre's; a person staff
# removed is no longer listed (the terminal then deletes them and their templates).

class ReportingPlanSpec(BaseModel):
    """A person's reporting plan (server_api.reporting_plan): windows of ``window_days``
    days ending on each due day; the kiosk shows what is due from it, even offline."""

    kind: Literal["weekly", "monthly", "dates"]
    start: dt.date
    window_days: int = Field(ge=1, le=31)
    due_day: int = Field(default=0, ge=0, le=31)  # weekly: 0 = Monday; monthly: day 1-31
    dates: list[dt.date] = Field(default_factory=list)  # kind "dates": the due days


class RosterPerson(BaseModel):
    id: int
    name: str
    id_number: str
    case_type: CaseType
    reporting_obligation: str = ""
    # Each template is a 128-d face encoding; several per person (enrolment ones and
    # samples staff confirmed after a failed check).
    face_templates: list[list[float]] = Field(default_factory=list)
    # True when the person has a voice template (``voice_template`` is then set).
    has_voice: bool = False
    # Base64 of the latest voice template as the enrolling terminal sent it (an opaque
    # blob: the kiosk's ``VoiceTemplate.to_bytes()``), and the name of the model that
    # made it; None / "" when the person has no voice template.
    voice_template: str | None = None
    voice_model: str = ""
    # The reporting plan staff set (None: no plan) and the person's latest check-in at any
    # terminal, so a terminal can tell what is due without asking again.
    reporting_plan: ReportingPlanSpec | None = None
    last_checkin_at: dt.datetime | None = None


class RosterResponse(BaseModel):
    centre_id: int
    centre_name: str
    persons: list[RosterPerson]


# --- events (POST /api/v1/terminal/events) ----------------------------------------------
# Payloads per kind:
#   checkin:          {"match_score": float, "snapshot_jpeg_b64": str | None}
#   leave_request:    {"destination": str, "start_date": "YYYY-MM-DD",
#                      "end_date": "YYYY-MM-DD", "reason": str,
#                      "frequent": bool  (optional, default false: a standing approval
#                                        for frequent cross-city travel, 经常性跨市县)}
#                      (the leave is identified by the event's idempotency_key)
#                      A request breaking a leave rule of the terminal's configuration
#                      (server_api.leave_rules) is rejected with the code
#                      "leave_rule_<rule>", e.g. "leave_rule_max_days".
#   leave_return:     {"leave_key": <idempotency_key of the leave_request>}
#   lesson_progress:  {"lesson_id": int, "watched_seconds": float, "position_seconds": float}
#                      (watched_seconds is the total so far: the server keeps the maximum)
#   lesson_credit:    {"lesson_id": int, "credited_seconds": float, "furthest_seconds": float,
#                      "position_seconds": float, "quiz_score"?: int, "quiz_total"?: int,
#                      "quiz_passed"?: bool}  (running totals; the server keeps the largest)
#   face_enrolment:   {"templates": [[128 floats], ...]}  (replaces the person's templates)
#   voice_enrolment:  {"template_b64": str  (opaque voice template, at most 256 KiB by
#                                         default; the roster hands it back as is),
#                      "model": str  (name/version of the model that made it, <= 100 chars),
#                      "wavs_b64": [str, ...]  (1-20 WAV recordings of the enrolment
#                                  utterances, 10 MiB in all by default; kept as evidence)}
#                     The older form {"wav_b64": str, "seconds": float} is still accepted:
#                     it keeps the recording and leaves the person without a template.
#                     The newest enrolment by occurred_at wins: an older one arriving
#                     later is answered "stored" but changes nothing.
#                     Face or voice enrolment of a person staff removed is rejected
#                     with the code "person_removed".
#   staff_call:       {"screen": str}  (person_id may be 0 when nobody is identified;
#                      the console lists open calls)
#   verification_failure: a failed identity check, for staff to review
#                     {"reason": one of VERIFICATION_REASONS,
#                      "claimed": bool  (true when the person gave an ID number or card),
#                      "face_distance": float | None, "voice_score": float | None,
#                      "attempt": int  (1, 2, ... within one visit),
#                      "snapshot_jpeg_b64": str | None,
#                      "face_encoding": [128 floats] | None,
#                      optional evidence, each may be absent or null:
#                      "stage": one of VERIFICATION_STAGES  (where the check stopped),
#                      "liveness_reason": str  (e.g. "timeout", "static_image"),
#                      "challenges": [str, ...]  (e.g. ["blink", "turn_left"]),
#                      "voice_reason": str  (e.g. "mismatch", "too_quiet"),
#                      "voice_threshold": float,
#                      "lipsync_decision": str  (e.g. "synced", "still_mouth"),
#                      "lipsync_r": float, "face_ratio": float}
#                     person_id: the claimed person, else the nearest candidate, else 0.
#                     Staff may confirm the attempt was the genuine person and, when the
#                     face was seen and liveness was not in doubt (REFERENCE_REASONS), add
#                     face_encoding to that person's templates (audited); it then reaches
#                     the terminals with the roster. A spoof suspect
#                     (SPOOF_SUSPECT_REASONS) never becomes a reference.
#   approval_request: one of the other approvals (ApprovalType), see docs/APPROVALS.md
#                     {"type": ApprovalType value, "start_date": "YYYY-MM-DD",
#                      "end_date": "YYYY-MM-DD" | null  (frequent_travel only),
#                      "place": str  (place_change, frequent_travel: the new or
#                                     visited place; "" otherwise),
#                      "counterpart": str  (visitor: whom the person meets; "" otherwise),
#                      "reason": str}
#                     (identified by the event's idempotency_key; place_change at least
#                      APPROVAL_PLACE_CHANGE_LEAD_DAYS before start_date, frequent_travel
#                      at most APPROVAL_FREQUENT_TRAVEL_MAX_DAYS long)
#   written_report:   a 思想汇报, photographed pages or a spoken recording
#                     {"form": "pages", "pages_jpeg_b64": [str, ...]  (1-10 JPEG pages)} or
#                     {"form": "audio", "audio_wav_b64": str  (a WAV recording),
#                      "seconds": float}
#                     All its files together at most 8 MiB by default
#                     (KIOSK_CENTRAL_MAX_REPORT_BYTES); larger is rejected with
#                     "payload_too_large". The server keeps them AES-GCM encrypted.
#   questionnaire_result: a completed questionnaire (心理测评), see "questionnaires" below
#                     {"assignment_id": int, "questionnaire_id": str, "version": int,
#                      "answers": [int, ...]  (the chosen values, one per question)}
#                     The server scores it with that very version; staff only see it.

# Why an identity check failed (``verification_failure`` reason codes).
VERIFICATION_REASONS: tuple[str, ...] = (
    "no_face", "poor_quality", "liveness_failed", "face_mismatch", "no_speech",
    "voice_mismatch", "lipsync_failed", "voice_not_enrolled")
VERIFICATION_STAGES: tuple[str, ...] = ("face", "liveness", "voice")
# Failures whose face sample staff may add to the person's references.
REFERENCE_REASONS = frozenset({"face_mismatch", "poor_quality"})
# Failures that may be a photo, a video or a stand-in: their sample is never a reference.
SPOOF_SUSPECT_REASONS = frozenset({"liveness_failed", "lipsync_failed"})


class Event(BaseModel):
    idempotency_key: str = Field(min_length=8, max_length=64)
    kind: EventKind
    person_id: int = Field(ge=0)
    occurred_at: dt.datetime
    payload: dict[str, Any] = Field(default_factory=dict)


class EventBatch(BaseModel):
    events: list[Event] = Field(min_length=1, max_length=200)


class EventResult(BaseModel):
    idempotency_key: str
    # "stored" the first time, "duplicate" for a repeat of the same key, "rejected" when
    # this one event cannot be stored (unknown person, bad payload...): the rest of the
    # batch is still processed, so one bad event never blocks a terminal's outbox.
    status: str
    code: str = ""  # for "rejected": the stable error code
    message: str = ""


class EventBatchResponse(BaseModel):
    results: list[EventResult]


# --- leave status (GET /api/v1/terminal/persons/{person_id}/leaves) ---------------------

class LeaveInfo(BaseModel):
    key: str  # the idempotency_key of the leave_request event
    destination: str
    start_date: dt.date
    end_date: dt.date
    reason: str
    status: LeaveStatus
    decided_at: dt.datetime | None = None
    decision_note: str = ""
    returned_at: dt.datetime | None = None


class LeaveList(BaseModel):
    leaves: list[LeaveInfo]


# --- other approvals (GET /api/v1/terminal/persons/{person_id}/approvals) -------------
# 执行地变更, 会客, 迁居, 经常性跨市县, 病情复查延期 (Community Correction Law art. 23, 27).

class ApprovalType(str, Enum):
    place_change = "place_change"            # 执行地变更
    visitor = "visitor"                      # 会客
    move = "move"                            # 迁居
    frequent_travel = "frequent_travel"      # 经常性跨市县活动
    medical_extension = "medical_extension"  # 病情复查延期 (暂予监外执行 only)


class ApprovalStatus(str, Enum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


# Defaults of the implementing rules (DOMAIN.md): a change of execution place is asked
# for one month ahead; a standing frequent-travel approval lasts at most 6 months.
APPROVAL_PLACE_CHANGE_LEAD_DAYS = 30
APPROVAL_FREQUENT_TRAVEL_MAX_DAYS = 183


class ApprovalInfo(BaseModel):
    key: str  # the idempotency_key of the approval_request event
    type: ApprovalType
    start_date: dt.date
    end_date: dt.date | None = None
    place: str = ""
    counterpart: str = ""
    reason: str
    status: ApprovalStatus
    requested_at: dt.datetime
    decided_at: dt.datetime | None = None
    decision_note: str = ""


class ApprovalList(BaseModel):
    approvals: list[ApprovalInfo]


# --- lessons (GET /api/v1/terminal/persons/{person_id}/lessons) -------------------------
# Content: GET /api/v1/terminal/lessons/{lesson_id}/content  (honours Range: bytes=N-)

class QuizQuestion(BaseModel):
    text: str
    options: list[str]
    answer: int  # index of the right option (the terminal grades offline)


class LessonQuiz(BaseModel):
    """The optional short quiz after a lesson; passed with ``pass_mark`` right answers."""

    questions: list[QuizQuestion]
    pass_mark: int


class LessonInfo(BaseModel):
    id: int
    title: str
    sha256: str
    size: int
    watched_seconds: float = 0.0
    # learning time credited while the verified person was in front of the camera,
    # the furthest point reached (no skipping past it) and the quiz (see LESSON_CREDIT.md)
    credited_seconds: float = 0.0
    furthest_seconds: float = 0.0
    quiz: LessonQuiz | None = None
    quiz_passed: bool | None = None


class LessonList(BaseModel):
    lessons: list[LessonInfo]


# --- content updates (The Update Framework; docs/CONTENT_UPDATES.md) -------------------
# GET /api/v1/content/metadata/{name}: signed TUF metadata (root, timestamp, snapshot,
# targets; consistent snapshots) as bytes; the terminal verifies it against the root
# installed at provisioning, so it is not a model of this contract.
# GET /api/v1/content/targets/{directory}/{sha256}.{name}: a target file (Range: bytes=N-).

# --- fleet: heartbeat, commands, central configuration ---------------------------------
# POST /api/v1/terminal/heartbeat, every ``TerminalConfig.heartbeat_interval_s``: the
# terminal reports its real state (what the console shows, never what the server
# assumes). The answer carries the terminal's effective configuration and the commands
# staff queued for it that it has not yet answered; a command is "delivered" once an
# answer carried it. The terminal runs each command id at most once (a command it
# already ran is only answered again) and answers it with
# POST /api/v1/terminal/commands/{command_id}/result. A command of another terminal, or
# one already answered, is refused (404 ``command_not_found``, 409 ``command_finished``).
# A terminal that has not sent a heartbeat for 2 intervals is "stale", for 10 "offline".

DEVICE_NAMES: tuple[str, ...] = ("camera", "microphone", "speaker", "card_reader", "printer")


class DeviceReport(BaseModel):
    """One device as the terminal sees it (``devices.base.DeviceHealth``)."""

    state: Literal["ok", "unavailable", "error"]
    detail: str = Field(default="", max_length=200)


class HeartbeatRequest(BaseModel):
    app_version: str = Field(min_length=1, max_length=50)
    # The version of the lesson content the terminal holds ("" when it has none).
    content_version: str = Field(default="", max_length=100)
    # Content updates (TUF): bytes of the current or last download made available / to
    # fetch (0 and 0 when nothing was fetched), and why the last update was refused
    # ("" when it was not: expired, rollback, hash_mismatch, offline, ...).
    content_bytes_done: int = Field(default=0, ge=0, le=2**62)
    content_bytes_total: int = Field(default=0, ge=0, le=2**62)
    content_error: str = Field(default="", max_length=40, pattern=r"^[a-z_]*$")
    # ``TerminalConfig.version`` of the configuration in force on the terminal now.
    config_version: int = Field(default=0, ge=0, le=2**31 - 1)
    # Keys among DEVICE_NAMES; a device the terminal does not have is absent.
    devices: dict[str, DeviceReport] = Field(default_factory=dict, max_length=len(DEVICE_NAMES))
    free_disk_bytes: int = Field(ge=0, le=2**62)
    outbox_depth: int = Field(ge=0, le=2**31 - 1)  # events not yet delivered
    last_sync_at: dt.datetime | None = None  # last successful delivery round
    # The terminal's clock when it sent this; the server keeps the difference with its own.
    terminal_time: dt.datetime
    locked: bool = False  # the terminal shows 暂停服务 and accepts no person
    in_use: bool = False  # a person or staff member is at the terminal now


class CommandKind(str, Enum):
    sync_now = "sync_now"            # deliver the outbox and refresh the roster now
    reload_config = "reload_config"  # fetch and apply the configuration now
    restart_app = "restart_app"      # restart the kiosk application (when nobody uses it)
    upload_logs = "upload_logs"      # answer with the recent log lines (text/plain)
    screenshot = "screenshot"        # answer with a picture of the screen (image/png)
    lock = "lock"                    # show 暂停服务 and accept no person until unlocked
    unlock = "unlock"


class Command(BaseModel):
    id: int
    kind: CommandKind
    created_at: dt.datetime


class TerminalConfig(BaseModel):
    """What staff set centrally, per centre and overridden per terminal.

    ``version`` changes whenever the effective configuration of the terminal changes;
    the terminal applies a new one without restarting and reports the version it runs.
    """

    version: int = Field(default=0, ge=0)
    # Seconds without a touch before a person's session is closed.
    idle_timeout_s: int = Field(default=90, ge=15, le=900)
    # Failed identity attempts before staff are called (the policy file's default: 3).
    identity_max_attempts: int = Field(default=3, ge=1, le=10)
    # Languages offered on screen; the first is the one the idle screen starts in.
    languages: list[Literal["zh_CN", "en"]] = Field(default_factory=lambda: ["zh_CN", "en"],
                                                     min_length=1, max_length=2)
    # Opening hours in the centre's local time, "HH:MM-HH:MM" (may pass midnight);
    # "" means 24 hours. Outside them the terminal shows 暂停服务.
    opening_hours: str = Field(default="", pattern=r"^$|^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
    heartbeat_interval_s: int = Field(default=30, ge=5, le=600)
    # Leave (外出) rules, Art 27 and the provincial implementing rules (DOMAIN.md); the
    # defaults are documented in docs/LEAVE_RULES.md and checked by server_api.leave_rules.
    # Apply at least this many days before the first day (0: the same day is fine).
    leave_apply_days_ahead: int = Field(default=3, ge=0, le=60)
    # Longest trip of one approval, in days (first and last day counted).
    leave_max_days: int = Field(default=30, ge=1, le=366)
    # Trips up to this many days are approved by the 司法所/centre; longer ones by the
    # county-level institution (社区矫正机构).
    leave_centre_max_days: int = Field(default=7, ge=1, le=366)
    # Leave requests starting in one calendar month (0: no cap).
    leave_max_per_month: int = Field(default=0, ge=0, le=31)
    # Days of leave starting in one calendar year (0: no cap).
    leave_max_days_per_year: int = Field(default=60, ge=0, le=366)
    # Days after the last day of leave within which the person reports back (销假); later,
    # the leave is on the staff's overdue-return list.
    leave_return_days: int = Field(default=1, ge=0, le=30)
    # Longest standing approval for frequent cross-city travel (经常性跨市县), in months.
    leave_frequent_max_months: int = Field(default=6, ge=1, le=12)


class HeartbeatResponse(BaseModel):
    server_time: dt.datetime
    config: TerminalConfig
    commands: list[Command] = Field(default_factory=list)


class CommandResult(BaseModel):
    status: Literal["done", "failed"]
    # What staff read in the console, e.g. "locked" or why it failed.
    message: str = Field(default="", max_length=1000)
    # upload_logs: text/plain (UTF-8); screenshot: image/png. At most 4 MiB decoded.
    attachment_b64: str | None = Field(default=None, max_length=6_000_000)
    attachment_type: Literal["text/plain", "image/png"] | None = None


class CommandAck(BaseModel):
    id: int
    status: str  # the command's status as stored: "done" or "failed"


# --- questionnaires (心理测评) ---------------------------------------------------------
# The questionnaire part of the contract.
#
# - ``GET /api/v1/terminal/persons/{person_id}/questionnaires``: the person's open
#   assignments (``QuestionnaireAssignmentList``), each naming a definition by id and
#   version, with the sha256 of its file.
# - ``GET /api/v1/terminal/questionnaires/{questionnaire_id}/{version}``: the definition
#   file, byte for byte as published (JSON, media type
#   ``application/vnd.correction-kiosk.questionnaire+json``; ETag is its sha256).
# - The answers travel as a ``questionnaire_result`` event (``contract.EventKind``):
#   ``{"assignment_id", "questionnaire_id", "version", "answers": [values]}``. Refusals:
#   ``questionnaire_not_assigned`` (404), ``questionnaire_unknown`` (404),
#   ``questionnaire_version_mismatch`` (409), ``questionnaire_already_answered`` (409),
#   ``invalid_event_payload`` (422: an answer missing or not one of the choices).
# A score never travels to the terminal.

class QuestionnaireTitle(BaseModel):
    zh_CN: str
    en: str = ""


class QuestionnaireAssignmentInfo(BaseModel):
    assignment_id: int
    questionnaire_id: str
    version: int
    title: QuestionnaireTitle
    sha256: str  # of the definition file


class QuestionnaireAssignmentList(BaseModel):
    assignments: list[QuestionnaireAssignmentInfo] = Field(default_factory=list)


# --- health (GET /healthz, no auth) -----------------------------------------------------

class Health(BaseModel):
    status: str
    database: str
