"""The core's written-report side (思想汇报): pages being photographed, a recording.

The draft (pages kept so far, the page or recording awaiting the person's choice) lives
in memory only, belongs to the person on screen, and is dropped at the end of the
session; nothing is stored until the person finishes (``report_submit_*``).
"""
from __future__ import annotations

import threading

import numpy as np

from devices.audio import AudioClip
from devices.base import DeviceError
from kiosk.errors import FlowError
from kiosk.flows import written_report

# A spoken report is recorded in pieces of this length, so "stop" answers within one.
RECORD_CHUNK_S = 1.0


class _Draft:
    def __init__(self, person_id: int) -> None:
        self.person_id = person_id
        self.pages: list[written_report.Page] = []
        self.pending: written_report.Page | None = None
        self.clip: AudioClip | None = None


class WrittenReportMixin:
    """Mixed into ``KioskCore``; uses its camera frame, microphone, store and clock."""

    _report_draft: _Draft | None = None
    _report_stop: threading.Event | None = None

    def _draft(self) -> _Draft:
        person = self._require_person()
        if self._report_draft is None or self._report_draft.person_id != person.id:
            self._report_draft = _Draft(person.id)
        return self._report_draft

    def report_begin(self) -> None:
        """Start a new report for the person on screen (drops any earlier draft)."""
        self._report_draft = _Draft(self._require_person().id)

    def report_discard(self) -> None:
        """Forget the draft (end of session, or the person left the report)."""
        self._report_draft = None

    # --- pages ------------------------------------------------------------------------
    def report_page_count(self) -> int:
        """Pages kept so far (the one being previewed not counted)."""
        return len(self._draft().pages)

    def report_scan_page(self) -> np.ndarray:
        """Photograph the page in front of the camera; the corrected grey page to preview.

        FlowError ``report.error.no_page`` (没有找到纸张) when no paper is seen.
        """
        draft = self._draft()
        if len(draft.pages) >= written_report.MAX_PAGES:
            raise FlowError("report.error.too_many_pages", n=written_report.MAX_PAGES)
        draft.pending = written_report.scan_page(self.camera_frame())
        return draft.pending.image

    def report_retake(self) -> None:
        """Throw away the page being previewed (重拍)."""
        self._draft().pending = None

    def report_keep_page(self) -> int:
        """Keep the previewed page (下一页); the number of pages kept."""
        draft = self._draft()
        if draft.pending is not None:
            written_report.check_pages([p.jpeg for p in draft.pages] + [draft.pending.jpeg])
            draft.pages.append(draft.pending)
            draft.pending = None
        return len(draft.pages)

    def report_submit_pages(self) -> int:
        """Keep the previewed page and file the report (完成); the number of pages sent.

        Durable when it returns; the draft is then cleared.
        """
        self.report_keep_page()
        draft = self._draft()
        written_report.submit_pages(self._store(), self.clock, draft.person_id,
                                    [p.jpeg for p in draft.pages])
        self._report_draft = None
        self._poke()
        return len(draft.pages)

    # --- recording --------------------------------------------------------------------
    def report_record(self, max_seconds: float = written_report.MAX_AUDIO_SECONDS) -> float:
        """Record a spoken report until ``report_stop_recording()`` or ``max_seconds``;
        checks that someone was heard; its length in seconds (kept for submission)."""
        draft = self._draft()
        draft.clip = None
        stop = self._report_stop = threading.Event()
        pieces: list[np.ndarray] = []
        recorded = 0.0
        try:
            while recorded < max_seconds - 1e-6 and not stop.is_set():
                piece = self.microphone.record(min(RECORD_CHUNK_S, max_seconds - recorded))
                if piece.duration <= 0:
                    break
                pieces.append(piece.samples)
                recorded += piece.duration
        except DeviceError as exc:
            raise FlowError(exc.message_key) from None
        finally:
            self._report_stop = None
        clip = AudioClip(np.concatenate(pieces) if pieces else np.zeros(0, np.int16))
        written_report.check_recording(clip)
        draft.clip = clip
        return clip.duration

    def report_stop_recording(self) -> None:
        """Stop the recording in progress (the person pressed 停止)."""
        if self._report_stop is not None:
            self._report_stop.set()

    def report_submit_audio(self) -> float:
        """File the recorded report; its length. Durable when it returns."""
        draft = self._draft()
        if draft.clip is None:
            raise FlowError("report.error.no_recording")
        written_report.submit_audio(self._store(), self.clock, draft.person_id, draft.clip)
        self._report_draft = None
        self._poke()
        return draft.clip.duration
