"""Storing a ``written_report`` event: its pages or recording, encrypted, and its row.

Called from ``events.HANDLERS`` inside the event's SAVEPOINT: a refusal (bad payload,
not a JPEG/WAV, too large) rolls back the row and the files written for it.
"""
from __future__ import annotations

import json
import logging
from typing import Literal

from pydantic import Field, model_validator

from server_api import contract
from server_api.server.clock import as_utc
from server_api.server.errors import ApiError
from server_api.server.events import EventContext, decode_b64, invalid_event, parse_payload
from server_api.server.models import Event
from server_api.server.payloads import Payload
from server_api.server.report_models import FORM_AUDIO, FORM_PAGES, WrittenReport
from server_api.server.report_vault import ReportVault, VaultError

log = logging.getLogger(__name__)

MAX_PAGES = 10


class WrittenReportPayload(Payload):
    form: Literal["pages", "audio"]
    pages_jpeg_b64: list[str] = Field(default_factory=list, max_length=MAX_PAGES)
    audio_wav_b64: str | None = Field(default=None, min_length=1)
    seconds: float | None = Field(default=None, gt=0, le=3600)

    @model_validator(mode="after")
    def _one_form(self):
        if self.form == FORM_PAGES:
            if not self.pages_jpeg_b64 or self.audio_wav_b64 is not None:
                raise ValueError("a report of pages needs pages_jpeg_b64 and no audio")
            if any(not p for p in self.pages_jpeg_b64):
                raise ValueError("pages_jpeg_b64 holds an empty page")
        elif self.audio_wav_b64 is None or self.pages_jpeg_b64:
            raise ValueError("a spoken report needs audio_wav_b64 and no pages")
        return self


def _contents(ctx: EventContext, event: contract.Event,
              payload: WrittenReportPayload) -> list[bytes]:
    """The decoded files, checked for their type and their size together."""
    cap = ctx.settings.max_report_bytes
    texts = payload.pages_jpeg_b64 if payload.form == FORM_PAGES else [payload.audio_wav_b64]
    files, total = [], 0
    for text in texts:
        data = decode_b64(event, text, cap, "report file")
        if payload.form == FORM_PAGES and not data.startswith(b"\xff\xd8\xff"):
            raise invalid_event(event, "a report page is not a JPEG image")
        if payload.form == FORM_AUDIO and (len(data) < 44 or data[:4] != b"RIFF"
                                           or data[8:12] != b"WAVE"):
            raise invalid_event(event, "the report recording is not a WAV file")
        total += len(data)
        if total > cap:
            raise ApiError(413, "payload_too_large", f"event {event.idempotency_key}: "
                           f"report larger than {cap} bytes in all")
        files.append(data)
    return files


def store_written_report(ctx: EventContext, event: contract.Event, row: Event) -> None:
    payload = parse_payload(WrittenReportPayload, event)
    files = _contents(ctx, event, payload)
    try:
        vault = ReportVault.from_settings(ctx.settings)
    except (OSError, VaultError) as exc:
        # The server's own fault: the whole batch is refused (503) and sent again later,
        # so the report is not lost.
        log.error("written reports cannot be stored: %s", type(exc).__name__)
        raise ApiError(503, "report_storage_unavailable",
                       "written reports cannot be stored now; send again later") from None
    day = as_utc(event.occurred_at).strftime("%Y/%m/%d")
    suffix = "jpg" if payload.form == FORM_PAGES else "wav"
    paths = [ctx.files.write(f"reports/{ctx.terminal.centre_id}/{day}/{row.id}-{n}.{suffix}.sealed",
                             vault.seal(data, row.id, n))
             for n, data in enumerate(files)]
    ctx.session.add(WrittenReport(
        event_id=row.id, person_id=row.person_id, terminal_id=ctx.terminal.id,
        occurred_at=row.occurred_at, form=payload.form,
        page_count=len(files) if payload.form == FORM_PAGES else 0,
        audio_seconds=payload.seconds if payload.form == FORM_AUDIO else None,
        size_bytes=sum(len(f) for f in files), files_json=json.dumps(paths)))
