"""Choices a person made on earlier screens of a multi-screen flow (UI state only)."""
from dataclasses import dataclass
from datetime import date


@dataclass
class UiState:
    """Reset whenever a session ends, so nothing carries over to the next person."""

    leave_destination: str | None = None
    leave_start: date | None = None
    leave_end: date | None = None
    leave_reason_key: str | None = None
    return_leave: object = None  # the LeaveView being reported back
    lesson_id: object = None
    lesson_title: str | None = None
    lesson_watched_before: float = 0.0
    lesson_path: object = None
    staff_person: object = None
    enrol_templates: int | None = None
    # the other approvals (screens/approvals.py): type, then one field per screen
    approval_type: str | None = None
    approval_place: str | None = None
    approval_counterpart: str | None = None  # a catalogue key
    approval_start: date | None = None
    approval_end: date | None = None
    approval_reason: str | None = None  # a catalogue key
