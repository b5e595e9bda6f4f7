"""The table of written reports (思想汇报) a person filed at a terminal.

Kept apart from ``models`` (same ``Base``); ``models`` imports this module at its end.
The pages or the recording are files under the data folder, each AES-GCM encrypted
(``report_vault``); the row lists them and notes when staff first opened the report.
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server_api.server.models import Base, Person, StaffUser, Terminal, UTCDateTime

FORM_PAGES = "pages"
FORM_AUDIO = "audio"


class WrittenReport(Base):
    """One report: its form (pages or audio), its encrypted files, who read it first."""

    __tablename__ = "written_reports"
    __table_args__ = (Index("ix_written_reports_person_time", "person_id", "occurred_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    form: Mapped[str] = mapped_column(String(10))  # FORM_PAGES | FORM_AUDIO
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    audio_seconds: Mapped[float | None] = mapped_column(Float)
    size_bytes: Mapped[int] = mapped_column(Integer)
    # JSON list of the files' paths (relative to the data folder), in page order.
    files_json: Mapped[str] = mapped_column(Text)
    first_read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    first_read_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    person: Mapped[Person] = relationship()
    terminal: Mapped[Terminal] = relationship()
    reader: Mapped[StaffUser | None] = relationship()

    @property
    def files(self) -> list[str]:
        return json.loads(self.files_json)
