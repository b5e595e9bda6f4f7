"""The kiosk's own log file (``<data_dir>/logs/kiosk.log``, rotated) and its tail.

Staff fetch the tail with the ``upload_logs`` command. Nothing secret goes to the log
(the code logs kinds and codes, never PINs, keys, templates or photos); as a second
line of defence, 18-character ID numbers are masked on the way in.
"""
from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

MAX_BYTES = 1_000_000
BACKUPS = 4
TAIL_BYTES = 200_000
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_ID_NUMBER = re.compile(r"(?<![0-9])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9])")


class MaskIdNumbers(logging.Filter):
    """Masks the birth date of any ID number in a record (110101********0011)."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = _ID_NUMBER.sub(r"\1********\2", text)
        if masked != text:
            record.msg, record.args = masked, None
        return True


def install(path: Path, level: int = logging.INFO) -> logging.Handler:
    """Add a rotating file handler for the whole process to the root logger."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES,
                                                   backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(MaskIdNumbers())
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    return handler


def tail(path: Path, limit: int = TAIL_BYTES) -> str | None:
    """The last ``limit`` bytes of the log (across the newest rotation), whole lines;
    None when there is no log at all."""
    files = [p for p in (path.with_name(path.name + ".1"), path) if p.is_file()]
    if not files:
        return None
    for handler in logging.getLogger().handlers:
        flush = getattr(handler, "flush", None)
        if flush is not None:
            flush()
    data = b"".join(p.read_bytes() for p in files)
    if len(data) > limit:
        data = data[-limit:]
        data = data[data.find(b"\n") + 1:]
    return data.decode("utf-8", errors="replace")
