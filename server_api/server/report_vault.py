"""Encryption at rest of written reports on the central server (AES-256-GCM).

The key is 32 random bytes in a file readable by the server's user alone
(``KIOSK_CENTRAL_REPORT_KEY_FILE``, default ``<data_dir>/report.key``), made on first
use. Each file is ``version | nonce | ciphertext+tag`` bound by associated data to its
report and page (``report:<event id>:<n>``), so a file cannot be swapped for another
report's. Contents are never logged.
"""
from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from server_api.server.settings import CentralSettings

VERSION = b"\x01"
NONCE_BYTES = 12


class VaultError(Exception):
    """A stored report file that does not open: wrong key, wrong report, or tampered."""


def key_path(settings: CentralSettings) -> Path:
    return Path(settings.report_key_file or Path(settings.data_dir) / "report.key")


def _load_key(path: Path) -> bytes:
    """The key in ``path``, created atomically (mode 0600) if absent."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(AESGCM.generate_key(bit_length=256))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # never replaces a key another worker made meanwhile
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    key = path.read_bytes()
    if len(key) != 32:
        raise VaultError(f"the report key file {path} must hold 32 bytes")
    return key


def context(event_id: int, index: int) -> bytes:
    return f"report:{event_id}:{index}".encode()


class ReportVault:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    def from_settings(cls, settings: CentralSettings) -> "ReportVault":
        return cls(_load_key(key_path(settings)))

    def seal(self, data: bytes, event_id: int, index: int) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return VERSION + nonce + self._aead.encrypt(nonce, data, context(event_id, index))

    def open(self, sealed: bytes, event_id: int, index: int) -> bytes:
        if not sealed.startswith(VERSION) or len(sealed) < 1 + NONCE_BYTES + 16:
            raise VaultError("not a sealed report file")
        nonce, body = sealed[1:1 + NONCE_BYTES], sealed[1 + NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, body, context(event_id, index))
        except InvalidTag:
            raise VaultError("report file does not open with this key") from None
