"""The terminal's lesson files: content-addressed by sha256, complete or absent.

A download is written to ``<sha>.video.part`` and renamed only once its hash matches,
so a power cut never leaves a half file that looks whole; a ``.part`` is resumed.
"""
from __future__ import annotations

from pathlib import Path


class LocalContentStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a sha256 hex digest")
        return self.root / f"{sha256}.video"

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def discard(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)


def playable(path: Path) -> bool:
    """True when the file opens as a video and yields at least one frame."""
    import cv2  # slow import, needed only when a lesson is opened

    cap = cv2.VideoCapture(str(path))
    try:
        ok, _ = cap.read()
        return bool(ok)
    finally:
        cap.release()
