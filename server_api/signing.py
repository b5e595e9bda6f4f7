"""The terminal's key pair and the profile of its request signatures (RFC 9421, Ed25519).

A terminal makes its own Ed25519 key pair when it is provisioned; the private key never
leaves the terminal (a PKCS#8 PEM file, mode 0600, in its data folder) and the server
keeps the public key. Every terminal request carries an HTTP Message Signature
(``Signature-Input`` and ``Signature`` headers) with:

- covered components ``"@method" "@path" "@query" "content-digest"`` (RFC 9530
  ``Content-Digest: sha-256=:...:`` of the body, also for an empty body; the signer may
  cover more, e.g. ``date``),
- parameters ``created`` (Unix seconds), ``keyid`` (the terminal id), ``alg="ed25519"``
  and ``nonce`` (random, used once).

Both sides import this module: the client (``server_api.client``) signs with
``requests-http-signature``, the server (``server_api.server.terminal_auth``) verifies
with ``http-message-signatures``. Nothing here imports ``requests`` or the server.
"""
from __future__ import annotations

import base64
import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey, Ed25519PublicKey,
)

log = logging.getLogger(__name__)

ALGORITHM = "ed25519"
SIGNATURE_LABEL = "terminal"
# What every terminal signature must cover; "@query" may be left out when the request
# has no query string, and "@target-uri" may stand for "@path" and "@query".
COVERED_COMPONENTS = ("@method", "@path", "@query", "content-digest")
NONCE_MIN_LENGTH = 16
NONCE_MAX_LENGTH = 64
PRIVATE_KEY_MODE = 0o600


def generate_private_key() -> Ed25519PrivateKey:
    """A fresh Ed25519 private key (from the operating system's random source)."""
    return Ed25519PrivateKey.generate()


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public half as PEM SubjectPublicKeyInfo text, as enrolment sends it."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM,
                               serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def parse_public_key(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM SubjectPublicKeyInfo text; ValueError otherwise."""
    try:
        key = serialization.load_pem_public_key(text.strip().encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise ValueError("not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def raw_public_key(key: Ed25519PublicKey) -> str:
    """Base64 of the 32 raw public-key bytes: the compact form the server stores."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def public_key_from_raw(text: str) -> Ed25519PublicKey:
    """The inverse of ``raw_public_key``."""
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text))


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM: the file format of the terminal's key."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def write_private_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Write the key atomically, created with mode 0600 (never readable by others)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_KEY_MODE)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(private_key_pem(key))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, PRIVATE_KEY_MODE)  # whatever the umask did
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_private_key(path: Path) -> Ed25519PrivateKey:
    """Load the terminal's key file; a file others can read is used, with a warning."""
    path = Path(path)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        log.warning("the terminal key file %s is readable by others (mode %o); it should be 0600",
                    path, mode)
    return load_private_key(path.read_bytes())


def load_private_key(key: Ed25519PrivateKey | bytes | str | os.PathLike) -> Ed25519PrivateKey:
    """A private key from a key object, PEM bytes or text, or the path of a PEM file."""
    if isinstance(key, Ed25519PrivateKey):
        return key
    if isinstance(key, str) and key.lstrip().startswith("-----BEGIN"):
        key = key.encode("ascii")
    if isinstance(key, (str, os.PathLike)):
        return read_private_key(Path(key))
    loaded = serialization.load_pem_private_key(bytes(key), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError("the terminal key is not an Ed25519 private key")
    return loaded
