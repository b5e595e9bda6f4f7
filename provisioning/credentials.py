"""The terminal's credentials: who it is to the central server, and its signing key.

Two files in the kiosk data folder, both mode 0600:

- ``terminal.json``: central URL, terminal id (the ``keyid`` of its signatures), centre,
  and the name of the key file beside it;
- ``terminal-key-<terminal id>.pem``: the Ed25519 private key (PKCS#8 PEM) the terminal
  made itself at provisioning; it never leaves the terminal and is never logged.

A terminal provisioned again gets a new key file; the old one is deleted once the new
credentials are in place, so a crash in between leaves a consistent pair.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from server_api import signing

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
KEY_FILE_PREFIX = "terminal-key-"


@dataclass(frozen=True)
class TerminalCredentials:
    central_url: str
    terminal_id: str
    centre_id: int
    centre_name: str
    private_key_path: Path  # absolute once loaded; stored relative to terminal.json

    @property
    def secret(self) -> Path:
        """What ``CentralClient`` takes as its third argument: the private key file."""
        return self.private_key_path

    def private_key(self) -> Ed25519PrivateKey:
        return signing.read_private_key(self.private_key_path)


def key_path_for(credentials_path: Path, terminal_id: str) -> Path:
    """Where the key of that terminal id lives, beside the credentials file."""
    return Path(credentials_path).parent / f"{KEY_FILE_PREFIX}{terminal_id}.pem"


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save(path: Path, creds: TerminalCredentials, private_key: Ed25519PrivateKey | None = None) -> None:
    """Write the key (when given) and then the credentials, each atomically with mode
    0600; then delete the key files of earlier enrolments."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key_path = Path(creds.private_key_path)
    if private_key is not None:
        signing.write_private_key(key_path, private_key)
    data = {"format": FORMAT_VERSION, "central_url": creds.central_url,
            "terminal_id": creds.terminal_id, "centre_id": creds.centre_id,
            "centre_name": creds.centre_name,
            "private_key_file": os.path.relpath(key_path, path.parent)}
    _write_private(path, json.dumps(data, ensure_ascii=False, indent=2))
    for old in path.parent.glob(f"{KEY_FILE_PREFIX}*.pem"):
        if old.resolve() != key_path.resolve():
            old.unlink(missing_ok=True)


def load(path: Path) -> TerminalCredentials | None:
    """The stored credentials; None when there are none, when they are the bearer-secret
    credentials of an older version, or when their key file is missing (the terminal
    must then be provisioned again)."""
    path = Path(path)
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if "private_key_file" not in data:
        log.warning("%s holds credentials from before signed requests; "
                    "provision this terminal again (kiosk-provision --force)", path)
        return None
    key_path = (path.parent / data["private_key_file"]).resolve()
    if not key_path.is_file():
        log.warning("the private key of terminal %s is missing (%s); "
                    "provision this terminal again", data["terminal_id"], key_path)
        return None
    return TerminalCredentials(
        central_url=data["central_url"], terminal_id=data["terminal_id"],
        centre_id=data["centre_id"], centre_name=data["centre_name"],
        private_key_path=key_path)


def outdated(path: Path) -> bool:
    """True when ``path`` exists but holds credentials ``load`` no longer accepts."""
    path = Path(path)
    if not path.exists():
        return False
    try:
        return "private_key_file" not in json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return True
