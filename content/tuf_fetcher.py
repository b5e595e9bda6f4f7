"""TUF's network IO on the terminal: signed requests, and downloads that resume.

``tuf.ngclient`` asks a ``FetcherInterface`` for the bytes of a URL. This one fetches
through the terminal's ``CentralClient`` (every request signed as the terminal) and
keeps a target's bytes in ``<partial_dir>/<url digest>.part`` as they arrive: when the
connection breaks, the next attempt sends ``Range: bytes=<have>-`` and yields the kept
bytes first, then the rest. TUF verifies length and hashes of the whole either way;
``discard`` drops a partial file that failed verification.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

from tuf.api import exceptions
from tuf.ngclient.fetcher import FetcherInterface

from server_api.client import CentralClient, CentralRejected, CentralUnavailable

CHUNK = 256 * 1024
TARGETS_MARK = "/content/targets/"


class ResumingFetcher(FetcherInterface):
    def __init__(self, client: CentralClient, partial_dir: Path,
                 progress: Callable[[int], None] | None = None, timeout: float = 60.0) -> None:
        """``progress(n)`` is told of every n bytes of a target made available (kept or new)."""
        self.client = client
        self.partial_dir = Path(partial_dir)
        self.progress = progress  # called with the number of new bytes received
        self.timeout = timeout
        self.received = 0  # bytes that came over the network (metadata and targets)

    def part_path(self, url: str) -> Path:
        return self.partial_dir / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".part")

    def discard(self, url: str) -> None:
        self.part_path(url).unlink(missing_ok=True)

    def _path_of(self, url: str) -> str:
        base = self.client.base_url
        if not url.startswith(base + "/"):
            raise exceptions.DownloadError(f"not a URL of the central server: {url}")
        return url[len(base):]

    def _fetch(self, url: str) -> Iterator[bytes]:
        path = self._path_of(url)
        if TARGETS_MARK not in path:  # metadata: small, fetched whole
            return self._counted(self._get(path, {}))
        return self._resume(url, path)

    def _counted(self, response) -> Iterator[bytes]:
        try:
            for chunk in response.iter_content(CHUNK):
                self.received += len(chunk)
                yield chunk
        finally:
            response.close()

    def _get(self, path: str, headers: dict[str, str]):
        try:
            return self.client.get_stream(path, headers=headers, timeout=self.timeout)
        except CentralRejected as exc:
            raise exceptions.DownloadHTTPError(exc.message, exc.status) from exc
        except CentralUnavailable as exc:
            raise exceptions.DownloadError(str(exc)) from exc

    def _resume(self, url: str, path: str) -> Iterator[bytes]:
        part = self.part_path(url)
        part.parent.mkdir(parents=True, exist_ok=True)
        have = part.stat().st_size if part.exists() else 0
        try:
            response = self._get(path, {"Range": f"bytes={have}-"} if have else {})
        except exceptions.DownloadHTTPError as exc:
            if exc.status_code != 416:
                raise
            part.unlink(missing_ok=True)  # more than the file holds: start again
            have, response = 0, self._get(path, {})
        if have and response.status_code != 206:
            have = 0  # the server sent the whole file
        return self._stream(part, have, response)

    def _stream(self, part: Path, have: int, response) -> Iterator[bytes]:
        with open(part, "ab" if have else "wb") as out:
            if have:
                with open(part, "rb") as kept:
                    for chunk in iter(lambda: kept.read(CHUNK), b""):
                        if self.progress:
                            self.progress(len(chunk))
                        yield chunk
            try:
                for chunk in response.iter_content(CHUNK):
                    out.write(chunk)
                    out.flush()
                    self.received += len(chunk)
                    if self.progress:
                        self.progress(len(chunk))
                    yield chunk
            except Exception as exc:  # noqa: BLE001 - a broken connection: keep what came
                raise exceptions.DownloadError(f"download interrupted: {exc}") from exc
            finally:
                response.close()
