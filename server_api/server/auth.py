"""Staff accounts: Argon2 password hashes, the console session, and the first admin.

The session is Starlette's signed cookie (itsdangerous), limited to ``/console``. Its
own ``max_age`` is sliding: Starlette signs the cookie again on every response, so it
only ends after that long without a request, timed by the wall clock. The session
therefore also carries the sign-in time and the time of the last request, by the
server's clock: ``current_staff`` ends it after ``session_idle_timeout_s`` without a
request or ``session_max_age_s`` after sign-in, whichever comes first. It holds only the
staff id, those two times, a CSRF token, the language and pending notices; the account
is re-read on every request, so a disabled account loses access at once.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server_api.server.clock import Clock
from server_api.server.db import Database
from server_api.server.models import StaffUser

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

INITIAL_ADMIN = "admin"
INITIAL_PASSWORD_FILE = "initial-admin-password.txt"
SESSION_SECRET_FILE = "session-secret"


class LoginRequired(Exception):
    """The console request has no valid signed-in staff session."""


@dataclass(frozen=True)
class StaffIdentity:
    """The signed-in staff member, detached from any database session."""

    id: int
    username: str
    role: str
    centre_id: int | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_editor(self) -> bool:
        """A content editor: the lesson library only, nothing of persons."""
        return self.role == "editor"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    """The active account with this username and password, else None."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


def _write_private(path: Path, text: str) -> None:
    """Create a file readable by the owner only (0600) from the first byte."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def ensure_initial_admin(db: Database, data_dir: Path, clock: Clock,
                         password: str | None) -> str | None:
    """Create ``admin`` when no staff account exists yet.

    The password is ``password`` (from KIOSK_CENTRAL_ADMIN_PASSWORD) or a generated one;
    a generated one is printed once on stdout and written to
    ``<data_dir>/initial-admin-password.txt`` (mode 0600). Returns the generated
    password, or None when nothing was generated.
    """
    with db.session() as session:
        if session.scalar(select(func.count()).select_from(StaffUser)):
            return None
        generated = None if password else secrets.token_urlsafe(12)
        session.add(StaffUser(username=INITIAL_ADMIN,
                              password_hash=hash_password(password or generated),
                              role="admin", centre_id=None, active=True, created_at=clock()))
    if generated:
        path = Path(data_dir) / INITIAL_PASSWORD_FILE
        _write_private(path, generated + "\n")
        print(f"Initial staff console account: {INITIAL_ADMIN} / {generated} "
              f"(also written to {path})", flush=True)
    return generated


def session_secret(configured: str | None, data_dir: Path) -> str:
    """The cookie-signing key: configured, or generated once and kept in the data folder."""
    if configured:
        return configured
    path = Path(data_dir) / SESSION_SECRET_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    secret = secrets.token_urlsafe(48)
    _write_private(path, secret + "\n")
    return secret


def current_staff(request: Request) -> StaffIdentity:
    """FastAPI dependency: the signed-in, still active staff member, or LoginRequired."""
    staff_id = request.session.get("staff_id")
    if not isinstance(staff_id, int):
        raise LoginRequired()
    ctx = request.app.state.ctx
    now = int(ctx.clock().timestamp())
    signed_in, seen = request.session.get("signed_in_at"), request.session.get("seen_at")
    if (not isinstance(signed_in, int) or not isinstance(seen, int)
            or now - seen > ctx.settings.session_idle_timeout_s
            or now - signed_in > ctx.settings.session_max_age_s):
        _end_session(request, "notice.session_expired")
        raise LoginRequired()
    request.session["seen_at"] = now
    with ctx.db.session() as session:
        user = session.get(StaffUser, staff_id)
        if user is None or not user.active:
            request.session.clear()
            raise LoginRequired()
        return StaffIdentity(user.id, user.username, user.role, user.centre_id)


def _end_session(request: Request, notice: str | None = None) -> None:
    """Clear the session, keeping the language, and queue a notice for the sign-in page."""
    language = request.session.get("lang")
    request.session.clear()
    if language:
        request.session["lang"] = language
    if notice:
        request.session["flash"] = [[notice, {}]]


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def sign_in(request: Request, user: StaffUser) -> None:
    """Start a fresh session for ``user`` (new CSRF token, language kept)."""
    _end_session(request)
    now = int(request.app.state.ctx.clock().timestamp())
    request.session.update(staff_id=user.id, signed_in_at=now, seen_at=now)
    csrf_token(request)
