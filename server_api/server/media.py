"""Checking that an uploaded lesson really is a playable video.

Two gates: the container's magic bytes must be a known video format, and OpenCV must
open the file and decode its first frame (a truncated or corrupt file fails here).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from server_api.server.validation import FormError


@dataclass(frozen=True)
class VideoInfo:
    media_type: str
    extension: str
    duration_s: float | None
    width: int
    height: int


def sniff_container(head: bytes) -> tuple[str, str] | None:
    """(media type, extension) from the first bytes of a file, or None if not a video."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        return ("video/quicktime", "mov") if brand == b"qt  " else ("video/mp4", "mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return ("video/webm", "webm") if b"webm" in head[:64] else ("video/x-matroska", "mkv")
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "video/x-msvideo", "avi"
    if head.startswith(b"OggS"):
        return "video/ogg", "ogv"
    if head.startswith(b"\x00\x00\x01\xba"):
        return "video/mpeg", "mpg"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return "video/mp2t", "ts"
    return None


def probe_video(path: Path) -> VideoInfo:
    """Details of a playable video file, or FormError with the reason for staff."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not head:
        raise FormError("error.lesson_empty")
    container = sniff_container(head)
    if container is None:
        raise FormError("error.lesson_not_video")
    import cv2  # imported here: only lesson uploads need it, and it is slow to load

    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise FormError("error.lesson_corrupt")
        ok, frame = capture.read()
        if not ok or frame is None:
            raise FormError("error.lesson_corrupt")
        fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
        frames = capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0.0
        duration = round(frames / fps, 2) if fps > 0 and frames > 0 else None
        height, width = frame.shape[:2]
    finally:
        capture.release()
    return VideoInfo(container[0], container[1], duration, int(width), int(height))
