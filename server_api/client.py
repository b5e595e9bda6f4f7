"""The HTTP client a terminal uses to talk to the central server (``requests``).

Every request of a provisioned terminal is signed with its Ed25519 key (RFC 9421 HTTP
Message Signatures, ``requests-http-signature``; the profile is ``server_api.signing``).
Each attempt is signed afresh, so a retried request never repeats a nonce; a refusal
as ``signature_expired`` makes the client sign by the server's clock (its ``Date``) and
try once more, so a terminal with a wrong clock still reaches the server.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import logging
import os
import time
from pathlib import Path
from typing import Callable

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_message_signatures import MappingKeyResolver
from requests_http_signature import HTTPSignatureAuth, algorithms

from server_api import contract as c
from server_api import signing

log = logging.getLogger(__name__)

# Idempotent reads are retried a little (each attempt signed anew); the outbox owns
# retries of event posts.
GET_ATTEMPTS = 3
RETRY_STATUSES = frozenset({502, 503, 504})
RETRY_BACKOFF_S = 0.2
# A clock this far from the server's is corrected after a signature_expired refusal.
CLOCK_CORRECTION_MIN_S = 2.0

PrivateKey = Ed25519PrivateKey | bytes | str | os.PathLike


class CentralError(Exception):
    """Base of everything the client raises."""


class CentralUnavailable(CentralError):
    """The server could not be reached or answered 5xx: try again later."""


class CentralRejected(CentralError):
    """The server refused the request; ``code`` is the contract's stable error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class TerminalSignatureAuth(HTTPSignatureAuth):
    """``requests`` auth that signs each request as the terminal ``terminal_id``.

    ``clock_offset_s`` is added to the local clock for ``created`` (and ``Date``);
    ``created`` and ``nonce``, when given, replace the clock and the random nonce (for
    tests that need a stale or repeated signature).
    """

    def __init__(self, terminal_id: str, private_key: PrivateKey, *, clock_offset_s: float = 0.0,
                 created: dt.datetime | None = None, nonce: str | None = None) -> None:
        key = signing.load_private_key(private_key)
        super().__init__(signature_algorithm=algorithms.ED25519, key_id=terminal_id,
                         key_resolver=MappingKeyResolver(public_keys={},
                                                         private_keys={terminal_id: key}),
                         covered_component_ids=signing.COVERED_COMPONENTS,
                         label=signing.SIGNATURE_LABEL, use_nonce=True)
        self.terminal_id = terminal_id
        self.clock_offset_s = clock_offset_s
        self.fixed_created = created
        self.fixed_nonce = nonce

    def __repr__(self) -> str:  # never the key
        return f"TerminalSignatureAuth({self.terminal_id!r})"

    def get_created(self, request: requests.PreparedRequest) -> dt.datetime:
        created = self.fixed_created or (dt.datetime.now(dt.timezone.utc)
                                         + dt.timedelta(seconds=self.clock_offset_s))
        self.add_date(request, timestamp=int(created.timestamp()))
        return created

    def get_nonce(self, request: requests.PreparedRequest) -> str | None:
        return self.fixed_nonce or super().get_nonce(request)


def _session() -> requests.Session:
    return requests.Session()


def _server_clock_offset(response: requests.Response) -> float | None:
    """Seconds the server's clock (its Date header) is ahead of ours, if it says."""
    try:
        server_time = email.utils.parsedate_to_datetime(response.headers["Date"])
    except (KeyError, TypeError, ValueError):
        return None
    return (server_time - dt.datetime.now(dt.timezone.utc)).total_seconds()


def _error_code(response: requests.Response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


class CentralClient:
    """The central API as one terminal speaks it.

    ``private_key`` is the terminal's Ed25519 key: the path of its PEM file (as the
    credentials hold it), PEM bytes or text, or a key object. Without ``terminal_id``
    the client is anonymous (health, enrolment). ``session`` may be shared.
    """

    def __init__(self, base_url: str, terminal_id: str | None = None,
                 private_key: PrivateKey | None = None, timeout: float = 5.0,
                 session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = session or _session()
        self.auth: TerminalSignatureAuth | None = None
        if terminal_id:
            if private_key is None:
                raise ValueError("a terminal client needs the terminal's private key")
            self.auth = TerminalSignatureAuth(terminal_id, private_key)

    # --- plumbing --------------------------------------------------------------------
    def _send(self, method: str, path: str, kw: dict) -> requests.Response:
        try:
            return self.http.request(method, self.base_url + path, auth=self.auth,
                                     headers=dict(kw.get("headers") or {}),
                                     timeout=kw.get("timeout", self.timeout),
                                     **{k: v for k, v in kw.items() if k not in ("headers", "timeout")})
        except requests.RequestException as exc:
            raise CentralUnavailable(str(exc)) from exc

    def _request(self, method: str, path: str, **kw) -> requests.Response:
        attempts = GET_ATTEMPTS if method == "GET" else 1
        corrected = False
        attempt = 0
        while True:
            attempt += 1
            try:
                r = self._send(method, path, kw)
            except CentralUnavailable:
                if attempt >= attempts:
                    raise
                time.sleep(RETRY_BACKOFF_S * attempt)
                continue
            if r.status_code in RETRY_STATUSES and attempt < attempts:
                r.close()
                time.sleep(RETRY_BACKOFF_S * attempt)
                continue
            if (r.status_code == 401 and self.auth is not None and not corrected
                    and _error_code(r) == "signature_expired"):
                offset = _server_clock_offset(r)
                if offset is not None and abs(offset - self.auth.clock_offset_s) > CLOCK_CORRECTION_MIN_S:
                    log.warning("this terminal's clock is %.0f s off the central server's; "
                                "signing by the server's clock", -offset)
                    self.auth.clock_offset_s = offset
                    corrected = True
                    continue
            break
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

    def enrol(self, token: str, name: str, public_key: str) -> c.EnrolResponse:
        """Enrol with a one-time token and the PEM public key of this terminal's key pair."""
        body = c.EnrolRequest(token=token, name=name, public_key=public_key).model_dump()
        return c.EnrolResponse.model_validate(self._api("POST", "/terminals/enrol", json=body).json())

    def roster(self) -> c.RosterResponse:
        return c.RosterResponse.model_validate(self._api("GET", "/terminal/roster").json())

    def post_events(self, events: list[c.Event]) -> c.EventBatchResponse:
        body = c.EventBatch(events=events).model_dump(mode="json")
        return c.EventBatchResponse.model_validate(self._api("POST", "/terminal/events", json=body).json())

    def heartbeat(self, report: c.HeartbeatRequest) -> c.HeartbeatResponse:
        """Report this terminal's state; the answer has its configuration and commands."""
        body = report.model_dump(mode="json")
        return c.HeartbeatResponse.model_validate(
            self._api("POST", "/terminal/heartbeat", json=body).json())

    def command_result(self, command_id: int, result: c.CommandResult) -> c.CommandAck:
        """Answer a command staff queued (once; a second answer is refused)."""
        body = result.model_dump(mode="json")
        return c.CommandAck.model_validate(
            self._api("POST", f"/terminal/commands/{command_id}/result", json=body).json())

    def leaves(self, person_id: int) -> c.LeaveList:
        return c.LeaveList.model_validate(self._api("GET", f"/terminal/persons/{person_id}/leaves").json())

    def approvals(self, person_id: int) -> c.ApprovalList:
        return c.ApprovalList.model_validate(
            self._api("GET", f"/terminal/persons/{person_id}/approvals").json())

    def lessons(self, person_id: int) -> c.LessonList:
        return c.LessonList.model_validate(self._api("GET", f"/terminal/persons/{person_id}/lessons").json())

    def questionnaires(self, person_id: int) -> c.QuestionnaireAssignmentList:
        """The person's open questionnaire assignments."""
        return c.QuestionnaireAssignmentList.model_validate(
            self._api("GET", f"/terminal/persons/{person_id}/questionnaires").json())

    def questionnaire_definition(self, questionnaire_id: str, version: int, sha256: str) -> bytes:
        """A published definition file, verified against the sha256 its assignment named."""
        data = self._api("GET", f"/terminal/questionnaires/{questionnaire_id}/{version}").content
        if hashlib.sha256(data).hexdigest() != sha256:
            raise CentralRejected(200, "content_corrupt", "questionnaire failed verification")
        return data

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

    # --- content updates (TUF: the caller verifies what these fetch) -----------------------
    def content_metadata(self, name: str, dest: Path, max_bytes: int = 1 << 20) -> Path:
        """Fetch one signed metadata file of the content repository to ``dest``."""
        r = self._api("GET", f"/content/metadata/{name}", stream=True, timeout=(self.timeout, 60))
        return _save(r, dest, 0, max_bytes, None)

    def content_target(self, directory: str, filename: str, dest: Path,
                       max_bytes: int | None = None,
                       progress: Callable[[int], None] | None = None) -> Path:
        """Fetch a content target to ``dest``, resuming what ``dest`` already holds
        (``Range: bytes=N-``); ``progress(n)`` is told of every n new bytes."""
        have = dest.stat().st_size if dest.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            r = self._api("GET", f"/content/targets/{directory}/{filename}", headers=headers,
                          stream=True, timeout=(self.timeout, 60))
        except CentralRejected as exc:
            if exc.status == 416 and have:
                return dest  # already whole (a crash before it was verified)
            raise
        return _save(r, dest, have if r.status_code == 206 else 0, max_bytes, progress)


def _save(r: requests.Response, dest: Path, have: int, max_bytes: int | None,
          progress: Callable[[int], None] | None) -> Path:
    """Write a streamed answer to ``dest`` (appending after ``have`` bytes), flushed as it
    comes, so a broken connection keeps what arrived; refuse more than ``max_bytes``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(dest, "ab" if have else "wb") as f:
            for chunk in r.iter_content(256 * 1024):
                have += len(chunk)
                if max_bytes is not None and have > max_bytes:
                    raise CentralRejected(200, "content_too_large",
                                          f"more than the {max_bytes} bytes expected")
                f.write(chunk)
                f.flush()
                if progress:
                    progress(len(chunk))
    except requests.RequestException as exc:
        raise CentralUnavailable(f"download interrupted: {exc}") from exc
    finally:
        r.close()
    return dest
