"""Helpers of the central-server tests: the terminal side of the API, real media files."""
from __future__ import annotations

import base64
import datetime as dt
import io
import uuid
import wave
from pathlib import Path

import requests

API = "/api/v1"


class TerminalClient:
    """The terminal side of the contract, spoken with plain HTTP."""

    def __init__(self, base_url: str, terminal_id: str, secret: str, centre_id: int) -> None:
        self.base_url = base_url
        self.terminal_id = terminal_id
        self.centre_id = centre_id
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Terminal {terminal_id}:{secret}"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base_url + API + path, timeout=10, **kwargs)

    def post_events(self, *events: dict) -> requests.Response:
        return self.http.post(self.base_url + API + "/terminal/events",
                              json={"events": list(events)}, timeout=10)


def enrol(base_url: str, token: str, name: str = "自助终端1") -> requests.Response:
    return requests.post(base_url + API + "/terminals/enrol",
                         json={"token": token, "name": name}, timeout=10)


def event(kind: str, person_id: int, key: str | None = None, **payload) -> dict:
    """A contract Event as JSON, with a fresh idempotency key unless one is given."""
    return {"idempotency_key": key or uuid.uuid4().hex, "kind": kind, "person_id": person_id,
            "occurred_at": dt.datetime.now(dt.timezone.utc).isoformat(), "payload": payload}


def jpeg_bytes(width: int = 64, height: int = 48) -> bytes:
    """A real JPEG image (a colour gradient)."""
    import cv2
    import numpy as np

    image = np.zeros((height, width, 3), np.uint8)
    image[:, :, 1] = np.linspace(0, 255, width, dtype=np.uint8)
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return data.tobytes()


def wav_bytes(seconds: float = 0.5, rate: int = 16000) -> bytes:
    """A real mono 16-bit WAV file with a 440 Hz tone."""
    import numpy as np

    t = np.arange(int(seconds * rate)) / rate
    samples = (np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def write_video(path: Path, frames: int = 12, size: tuple[int, int] = (96, 64)) -> Path:
    """A tiny real MP4 video written with OpenCV."""
    import cv2
    import numpy as np

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, size)
    assert writer.isOpened()
    for i in range(frames):
        frame = np.full((size[1], size[0], 3), (i * 20) % 255, np.uint8)
        cv2.putText(frame, str(i), (10, 40), cv2.FONT_HERSHEY_SIMPLEX, 1, (255, 255, 255), 2)
        writer.write(frame)
    writer.release()
    return path


def with_wrong_check_character(id_number: str) -> str:
    """The same ID number with a check character that does not match."""
    return id_number[:-1] + ("1" if id_number[-1] != "1" else "2")
