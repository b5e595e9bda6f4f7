"""The HTTP client a terminal uses to talk to the central server (``requests``)."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from server_api import contract as c


class CentralError(Exception):
    """Base of everything the client raises."""


class CentralUnavailable(CentralError):
    """The server could not be reached or answered 5xx: try again later."""


class CentralRejected(CentralError):
    """The server refused the request; ``code`` is the contract's stable error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


def _session() -> requests.Session:
    s = requests.Session()
    # Idempotent reads are retried a little; the outbox owns retries of event posts.
    retry = Retry(total=2, backoff_factor=0.2, allowed_methods=frozenset({"GET"}),
                  status_forcelist=(502, 503, 504), raise_on_status=False)
    s.mount("http://", HTTPAdapter(max_retries=retry))
    s.mount("https://", HTTPAdapter(max_retries=retry))
    return s


class CentralClient:
    def __init__(self, base_url: str, terminal_id: str | None = None, secret: str | None = None,
                 timeout: float = 5.0, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = session or _session()
        self._auth = f"{c.AUTH_SCHEME} {terminal_id}:{secret}" if terminal_id else None

    # --- plumbing --------------------------------------------------------------------
    def _request(self, method: str, path: str, **kw) -> requests.Response:
        headers = kw.pop("headers", {})
        if self._auth:
            headers["Authorization"] = self._auth
        try:
            r = self.http.request(method, self.base_url + path, headers=headers,
                                  timeout=kw.pop("timeout", self.timeout), **kw)
        except requests.RequestException as exc:
            raise CentralUnavailable(str(exc)) from exc
        if r.status_code >= 500:
            raise CentralUnavailable(f"server error {r.status_code}")
        if r.status_code >= 400:
            try:
                err = r.json()["error"]
                raise CentralRejected(r.status_code, err["code"], err["message"])
            except (ValueError, KeyError, TypeError):
                raise CentralRejected(r.status_code, "http_error", r.text[:200]) from None
        return r

    def _api(self, method: str, path: str, **kw) -> requests.Response:
        return self._request(method, c.API_PREFIX + path, **kw)

    # --- calls -----------------------------------------------------------------------
    def health(self) -> c.Health:
        return c.Health.model_validate(self._request("GET", "/healthz").json())

    def enrol(self, token: str, name: str) -> c.EnrolResponse:
        body = c.EnrolRequest(token=token, name=name).model_dump()
        return c.EnrolResponse.model_validate(self._api("POST", "/terminals/enrol", json=body).json())

    def roster(self) -> c.RosterResponse:
        return c.RosterResponse.model_validate(self._api("GET", "/terminal/roster").json())

    def post_events(self, events: list[c.Event]) -> c.EventBatchResponse:
        body = c.EventBatch(events=events).model_dump(mode="json")
        return c.EventBatchResponse.model_validate(self._api("POST", "/terminal/events", json=body).json())

    def leaves(self, person_id: int) -> c.LeaveList:
        return c.LeaveList.model_validate(self._api("GET", f"/terminal/persons/{person_id}/leaves").json())

    def lessons(self, person_id: int) -> c.LessonList:
        return c.LessonList.model_validate(self._api("GET", f"/terminal/persons/{person_id}/lessons").json())

    def download_lesson(self, lesson: c.LessonInfo, dest: Path,
                        progress: Callable[[float], None] | None = None) -> Path:
        """Fetch a lesson to ``dest``, resuming a partial ``.part`` file, and verify sha256.

        The file appears at ``dest`` only once complete and verified (atomic rename).
        """
        part = dest.with_suffix(dest.suffix + ".part")
        dest.parent.mkdir(parents=True, exist_ok=True)
        have = part.stat().st_size if part.exists() else 0
        if have > lesson.size:
            part.unlink()
            have = 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        if have < lesson.size:
            r = self._api("GET", f"/terminal/lessons/{lesson.id}/content", headers=headers,
                          stream=True, timeout=(self.timeout, 60))
            mode = "ab" if (have and r.status_code == 206) else "wb"
            if mode == "wb":
                have = 0
            with open(part, mode) as f:
                for chunk in r.iter_content(256 * 1024):
                    f.write(chunk)
                    have += len(chunk)
                    if progress and lesson.size:
                        progress(min(have / lesson.size, 1.0))
                f.flush()
        digest = hashlib.sha256()
        with open(part, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() != lesson.sha256:
            part.unlink(missing_ok=True)
            raise CentralRejected(200, "content_corrupt", "downloaded lesson failed verification")
        part.replace(dest)
        return dest
