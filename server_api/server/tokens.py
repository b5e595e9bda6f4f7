"""Enrolment tokens and their stored digests, and terminal identifiers.

An enrolment token is 32 random bytes, so a plain SHA-256 digest is enough to store it
(no password stretching needed); staff passwords use Argon2 in ``auth.py``. Terminals
hold no shared secret: they prove who they are by signing (``terminal_auth.py``).
Comparisons are constant-time.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret() -> str:
    """A fresh 32-byte random secret (an enrolment token), URL-safe text.

    Never one that begins with "-": staff paste the token after ``kiosk-provision
    --token``, and a value beginning with "-" reads there as another option (one token in
    64 did, and provisioning failed with "expected one argument").
    """
    while True:
        token = secrets.token_urlsafe(32)
        if not token.startswith("-"):
            return token


def new_terminal_id() -> str:
    """A public, unguessable terminal identifier: the ``keyid`` of its signatures."""
    return "t-" + secrets.token_hex(8)


def digest(secret: str) -> str:
    """The hex SHA-256 digest stored in place of a secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    """Constant-time check of a presented secret against its stored digest."""
    return hmac.compare_digest(digest(secret), stored_digest)
