"""Files under the data folder: check-in snapshots, voice samples, lesson videos.

Rows store paths relative to the data folder. Writes go to a temporary name, are
flushed to disk, then renamed, so a file is either whole or absent. ``FileTxn`` ties
files to a database transaction: new files are removed if the transaction fails, files
replaced by it are removed only after it commits; ``FileTxn.nested()`` does the same for
a SAVEPOINT within it (one event of a batch).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


class StorageError(Exception):
    """A path outside the data folder, or a file larger than allowed."""


class Storage:
    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(exist_ok=True)

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    def resolve(self, relative: str) -> Path:
        """The absolute path of a stored file; refuses anything escaping the data folder."""
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root):
            raise StorageError("path outside the data folder")
        return path

    def write_bytes(self, relative: str, data: bytes) -> Path:
        """Write a whole file durably (temporary name, fsync, rename)."""
        target = self.resolve(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        return target

    def receive(self, source: BinaryIO, max_bytes: int) -> tuple[Path, str, int]:
        """Copy an upload into ``tmp/``; return (path, sha256, size). Too large: StorageError."""
        tmp = self.tmp_dir / f"upload-{uuid.uuid4().hex}"
        sha = hashlib.sha256()
        size = 0
        try:
            with open(tmp, "wb") as out:
                while chunk := source.read(1024 * 1024):
                    size += len(chunk)
                    if size > max_bytes:
                        raise StorageError("file too large")
                    sha.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, sha.hexdigest(), size

    def adopt(self, tmp: Path, relative: str) -> Path:
        """Move a received temporary file to its final place."""
        target = self.resolve(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(tmp), target)
        return target

    def delete(self, relative: str) -> None:
        try:
            self.resolve(relative).unlink(missing_ok=True)
        except StorageError:
            pass


class FileTxn:
    """Files written or made obsolete during one database transaction."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._new: list[str] = []
        self._obsolete: list[str] = []

    def write(self, relative: str, data: bytes) -> str:
        self.storage.write_bytes(relative, data)
        self._new.append(relative)
        return relative

    def obsolete(self, relative: str) -> None:
        self._obsolete.append(relative)

    @contextmanager
    def nested(self) -> Iterator[None]:
        """Files of a SAVEPOINT: if the block raises, its new files are removed at once
        (before a later write could reuse the path) and its obsolete marks are dropped."""
        new_mark, obsolete_mark = len(self._new), len(self._obsolete)
        try:
            yield
        except BaseException:
            for relative in self._new[new_mark:]:
                self.storage.delete(relative)
            del self._new[new_mark:]
            del self._obsolete[obsolete_mark:]
            raise

    def committed(self) -> None:
        for relative in self._obsolete:
            self.storage.delete(relative)
        self._new.clear()
        self._obsolete.clear()

    def rolled_back(self) -> None:
        for relative in self._new:
            self.storage.delete(relative)
        self._new.clear()
        self._obsolete.clear()
