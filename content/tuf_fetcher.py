"""TUF's network IO on the terminal: signed requests, and downloads that resume.

``tuf.ngclient`` asks a ``FetcherInterface`` for the bytes of a URL. This one fetches
through the terminal's ``CentralClient`` (every request signed as the terminal). A
target's bytes go to ``<partial_dir>/<url digest>.part`` as they arrive: when the
connection breaks, the part keeps them and the next attempt asks only for the rest
(``Range: bytes=<have>-``). TUF then verifies length and hashes of the whole;
``discard`` drops a partial file once verified or when it failed verification.
"""
from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from tuf.api import exceptions
from tuf.ngclient.fetcher import FetcherInterface

from server_api.client import CentralClient, CentralRejected, CentralUnavailable

CHUNK = 256 * 1024
METADATA_MARK = "/api/v1/content/metadata/"
TARGETS_MARK = "/api/v1/content/targets/"


class ResumingFetcher(FetcherInterface):
    def __init__(self, client: CentralClient, partial_dir: Path,
                 progress: Callable[[int], None] | None = None,
                 max_lengths: dict[str, int] | None = None) -> None:
        """``progress(n)``: n more bytes of a target are here (kept from before, or new).
        ``max_lengths``: url -> the most bytes to accept (the verified target length)."""
        self.client = client
        self.partial_dir = Path(partial_dir)
        self.progress = progress
        self.max_lengths = max_lengths if max_lengths is not None else {}
        self.received = 0  # bytes that came over the network (metadata and targets)

    def part_path(self, url: str) -> Path:
        return self.partial_dir / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".part")

    def discard(self, url: str) -> None:
        self.part_path(url).unlink(missing_ok=True)

    def _relative(self, url: str) -> str:
        base = self.client.base_url
        if not url.startswith(base + "/"):
            raise exceptions.DownloadError(f"not a URL of the central server: {url}")
        return url[len(base):]

    def _count(self, n: int) -> None:
        self.received += n
        if self.progress:
            self.progress(n)

    def _fetch(self, url: str) -> Iterator[bytes]:
        path = self._relative(url)
        self.partial_dir.mkdir(parents=True, exist_ok=True)
        try:
            if path.startswith(METADATA_MARK):
                return self._metadata(path.removeprefix(METADATA_MARK))
            if path.startswith(TARGETS_MARK):
                return self._target(url, path.removeprefix(TARGETS_MARK))
        except CentralRejected as exc:
            raise exceptions.DownloadHTTPError(exc.message, exc.status) from exc
        except CentralUnavailable as exc:
            raise exceptions.DownloadError(str(exc)) from exc
        raise exceptions.DownloadError(f"not a content URL: {url}")

    def _metadata(self, name: str) -> Iterator[bytes]:
        with tempfile.TemporaryDirectory(dir=self.partial_dir) as folder:
            dest = self.client.content_metadata(name, Path(folder) / "metadata.json")
            data = dest.read_bytes()
        self.received += len(data)
        return iter([data])

    def _target(self, url: str, relative: str) -> Iterator[bytes]:
        directory, _, filename = relative.partition("/")
        part = self.part_path(url)
        kept = part.stat().st_size if part.exists() else 0
        if kept and self.progress:
            self.progress(kept)
        self.client.content_target(directory, filename, part,
                                   max_bytes=self.max_lengths.get(url), progress=self._count)
        return self._read(part)

    @staticmethod
    def _read(part: Path) -> Iterator[bytes]:
        with open(part, "rb") as fh:
            yield from iter(lambda: fh.read(CHUNK), b"")
