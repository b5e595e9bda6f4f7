"""The terminal's credentials file: who it is to the central server and how to prove it."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class TerminalCredentials:
    central_url: str
    terminal_id: str
    secret: str
    centre_id: int
    centre_name: str


def save(path: Path, creds: TerminalCredentials) -> None:
    """Write atomically with mode 0600: the secret must not be world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(asdict(creds), f, ensure_ascii=False, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load(path: Path) -> TerminalCredentials | None:
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return TerminalCredentials(**data)
