"""Helpers of the central-server tests: the terminal side of the API (signed requests),
real media files."""
from __future__ import annotations

import base64
import datetime as dt
import io
import uuid
import wave
from pathlib import Path

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from server_api import signing
from server_api.client import TerminalSignatureAuth
from server_api.contract import TerminalConfig

API = "/api/v1"


class TerminalClient:
    """The terminal side of the contract, spoken with plain HTTP, every request signed
    (RFC 9421) with the terminal's Ed25519 key, exactly as the kiosk's client signs.

    ``key`` is the terminal's private key: a key object, PEM text or bytes, or a PEM
    file's path (``enrol(...).json()["secret"]`` is its PEM). ``http`` is a
    ``requests.Session`` whose ``auth`` signs each request afresh.
    """

    def __init__(self, base_url: str, terminal_id: str, key, centre_id: int) -> None:
        self.base_url = base_url
        self.terminal_id = terminal_id
        self.centre_id = centre_id
        self.key = signing.load_private_key(key)
        self.http = signed_session(terminal_id, self.key)

    @property
    def auth(self) -> TerminalSignatureAuth:
        return self.http.auth

    def clone(self) -> "TerminalClient":
        """The same terminal with its own session (e.g. one per thread)."""
        return TerminalClient(self.base_url, self.terminal_id, self.key, self.centre_id)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.http.request(method, self.base_url + API + path, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post_events(self, *events: dict, **kwargs) -> requests.Response:
        return self.request("POST", "/terminal/events", json={"events": list(events)}, **kwargs)


def signature_auth(terminal_id: str, key, *, created: dt.datetime | None = None,
                   nonce: str | None = None, clock_offset_s: float = 0.0) -> TerminalSignatureAuth:
    """The kiosk's signer for a terminal (``requests`` auth); ``created`` and ``nonce``
    pin what is otherwise the clock and a fresh random nonce."""
    return TerminalSignatureAuth(terminal_id, key, created=created, nonce=nonce,
                                 clock_offset_s=clock_offset_s)


def signed_session(terminal_id: str, key, **auth_options) -> requests.Session:
    """A ``requests.Session`` that signs every request as this terminal."""
    session = requests.Session()
    session.auth = signature_auth(terminal_id, key, **auth_options)
    return session


class Enrolment:
    """The server's answer to an enrolment, with the key pair the test terminal made.

    Behaves as the ``requests.Response``; on success ``json()`` adds, under ``"secret"``
    and ``"private_key"``, the PEM of the terminal's private key (the server never saw
    it), so a test hands the answer to ``TerminalClient`` as it always did.
    """

    def __init__(self, response: requests.Response, key: Ed25519PrivateKey) -> None:
        self.response = response
        self.key = key

    def __getattr__(self, name: str):
        return getattr(self.response, name)

    def json(self, **kwargs):
        data = self.response.json(**kwargs)
        if self.response.status_code == 200 and isinstance(data, dict):
            pem = signing.private_key_pem(self.key).decode("ascii")
            data = {**data, "secret": pem, "private_key": pem}
        return data

    def terminal(self) -> TerminalClient:
        """The enrolled terminal, ready to sign its requests."""
        data = self.response.json()
        return TerminalClient(self.response.url.split(API)[0], data["terminal_id"], self.key,
                              data["centre_id"])


def enrol(base_url: str, token: str, name: str = "自助终端1",
          key: Ed25519PrivateKey | None = None) -> Enrolment:
    """Enrol a terminal as ``kiosk-provision`` does: a new key pair (or ``key``), its
    public half sent with the one-time token."""
    key = key or signing.generate_private_key()
    response = requests.post(base_url + API + "/terminals/enrol",
                             json={"token": token, "name": name,
                                   "public_key": signing.public_key_pem(key)}, timeout=10)
    return Enrolment(response, key)


def provisioned_terminal(base_url: str, token: str, name: str = "自助终端1") -> TerminalClient:
    """Enrol with ``token`` and return the terminal (its ``http`` session and ``auth``
    sign every request); raises if the enrolment is refused."""
    answer = enrol(base_url, token, name)
    answer.raise_for_status()
    return answer.terminal()


def event(kind: str, person_id: int, key: str | None = None, **payload) -> dict:
    """A contract Event as JSON, with a fresh idempotency key unless one is given."""
    return {"idempotency_key": key or uuid.uuid4().hex, "kind": kind, "person_id": person_id,
            "occurred_at": filed_at(kind, payload).isoformat(), "payload": payload}


def filed_at(kind: str, payload: dict) -> dt.datetime:
    """When the event happened: now; a leave request with a readable first day was filed
    in time, as the leave rules ask (``leave_apply_days_ahead`` days before it, at noon
    in China; docs/LEAVE_RULES.md), so tests of other things are not refused by them."""
    now = dt.datetime.now(dt.timezone.utc)
    if kind != "leave_request":
        return now
    try:
        start = dt.date.fromisoformat(str(payload.get("start_date")))
        day = start - dt.timedelta(days=TerminalConfig().leave_apply_days_ahead)
    except (ValueError, OverflowError):
        return now
    return dt.datetime.combine(day, dt.time(4), dt.timezone.utc)  # 12:00 in China


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
