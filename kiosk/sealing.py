"""Sealing of sensitive data at rest on the terminal (AES-GCM, ``cryptography``).

Face templates and check-in snapshots are biometric, sensitive personal information:
the store keeps them only sealed with the terminal's own 256-bit key, held in a file
readable by the kiosk's user alone (``secret.key``, mode 0600). Each value is bound to
its row by associated data, so a sealed template cannot be moved to another person.
"""
from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
VERSION = b"\x01"


class SealError(Exception):
    """A sealed value that cannot be opened: wrong key, wrong row, or tampered."""


class Sealer:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the sealing key must be 32 bytes")
        self._aead = AESGCM(key)

    @classmethod
    def from_key_file(cls, path: Path) -> "Sealer":
        """Load the terminal's key, creating it (0600, atomically) on first start."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(AESGCM.generate_key(bit_length=256))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        return cls(path.read_bytes())

    def seal(self, plaintext: bytes, context: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return VERSION + nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def open(self, sealed: bytes, context: str) -> bytes:
        if not sealed.startswith(VERSION) or len(sealed) < 1 + NONCE_BYTES + 16:
            raise SealError("not a sealed value")
        nonce, body = sealed[1:1 + NONCE_BYTES], sealed[1 + NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, body, context.encode())
        except InvalidTag:
            raise SealError("sealed value does not open with this key and context") from None
