"""思想汇报: a written report filed at the kiosk, as photographed pages or a recording.

A page is kept only if ``page_scan`` finds the paper in the photo; the person sees the
corrected page and keeps it, retakes it, or finishes. The report (every page, or the
recording) is written with its outbox row in ONE transaction, sealed at rest with the
terminal's key like every outbox payload, and delivered by ``kiosk.sync``; the screen
says "submitted" only after that commit. Limits (pages, bytes, seconds) are constants
here and refused with a clear message rather than cut silently.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field

import numpy as np

from devices.audio import AudioClip
from kiosk import outbox, page_scan
from kiosk.clock import Clock
from kiosk.errors import FlowError
from kiosk.store import Store

KIND = "written_report"  # server_api.contract.EventKind.written_report
# Most pages one report may have (the server accepts 10 as well).
MAX_PAGES = 10
# All the pages (JPEG) or the recording (WAV) of one report together; the central
# server's own cap (KIOSK_CENTRAL_MAX_REPORT_BYTES) defaults to 8 MiB.
MAX_REPORT_BYTES = 6 * 1024 * 1024
# A spoken report: at most this long (16 kHz 16-bit WAV: 32 kB a second, 3 MB for 96 s).
MAX_AUDIO_SECONDS = 90.0
MIN_AUDIO_SECONDS = 2.0
# Audio checks that refuse a spoken report (kiosk.voice_dsp reasons) -> message keys.
AUDIO_REFUSALS = {"no_speech": "report.error.no_speech", "too_quiet": "report.error.too_quiet",
                  "too_short": "report.error.too_short"}


@dataclass(frozen=True)
class Page:
    """One corrected page: the JPEG that will be sent, and its grey image for the preview."""

    jpeg: bytes
    image: np.ndarray = field(repr=False)


def scan_page(photo: np.ndarray | None) -> Page:
    """The page in a camera photo, straightened and cleaned; FlowError when there is none."""
    if photo is None:
        raise FlowError("report.error.no_camera")
    try:
        scanned = page_scan.scan(photo)
    except page_scan.NoPageFound:
        raise FlowError("report.error.no_page") from None
    return Page(jpeg=scanned.jpeg(), image=scanned.image)


def check_pages(pages: list[bytes]) -> None:
    if not pages:
        raise FlowError("report.error.no_pages")
    if len(pages) > MAX_PAGES:
        raise FlowError("report.error.too_many_pages", n=MAX_PAGES)
    if sum(len(p) for p in pages) > MAX_REPORT_BYTES:
        raise FlowError("report.error.too_large", mb=MAX_REPORT_BYTES // (1024 * 1024))


def submit_pages(store: Store, clock: Clock, person_id: int, pages: list[bytes]) -> str:
    """Record a report of photographed pages (durably, with its outbox row); its key."""
    check_pages(pages)
    key = outbox.new_key()
    with store.session() as s:
        outbox.enqueue(s, key=key, kind=KIND, person_id=person_id, occurred_at=clock.now(),
                       payload={"form": "pages",
                                "pages_jpeg_b64": [base64.b64encode(p).decode() for p in pages]})
    return key


def check_recording(clip: AudioClip) -> None:
    """Refuse a recording in which nobody can be heard (or too short to be a report)."""
    from kiosk.voice_dsp import check_audio  # webrtcvad: loaded on first use

    if clip.duration < MIN_AUDIO_SECONDS:
        raise FlowError("report.error.too_short")
    reason = check_audio(clip.samples, clip.sample_rate).reason
    if reason in AUDIO_REFUSALS:
        raise FlowError(AUDIO_REFUSALS[reason])


def submit_audio(store: Store, clock: Clock, person_id: int, clip: AudioClip) -> str:
    """Record a spoken report (durably, with its outbox row); its key."""
    check_recording(clip)
    if clip.duration > MAX_AUDIO_SECONDS + 0.5:
        raise FlowError("report.error.too_long", s=int(MAX_AUDIO_SECONDS))
    wav = clip.to_wav_bytes()
    if len(wav) > MAX_REPORT_BYTES:
        raise FlowError("report.error.too_large", mb=MAX_REPORT_BYTES // (1024 * 1024))
    key = outbox.new_key()
    with store.session() as s:
        outbox.enqueue(s, key=key, kind=KIND, person_id=person_id, occurred_at=clock.now(),
                       payload={"form": "audio", "audio_wav_b64": base64.b64encode(wav).decode(),
                                "seconds": round(clip.duration, 2)})
    return key
