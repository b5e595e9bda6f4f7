"""Terminal enrolment (one-time tokens) and authentication of terminal requests.

Every terminal request carries ``Authorization: Terminal <terminal_id>:<secret>``. Only a
SHA-256 digest of the secret is stored. A missing, malformed, unknown, wrong or revoked
credential is refused alike with 401 ``terminal_unauthenticated``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi import Depends
from fastapi.security import APIKeyHeader
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server_api import contract
from server_api.server import tokens
from server_api.server.context import ServerContext, get_context
from server_api.server.errors import ApiError
from server_api.server.models import Centre, EnrolToken, Terminal
from server_api.server.validation import has_control_characters

# Declared so OpenAPI documents the header; parsed by hand below.
authorization_header = APIKeyHeader(
    name="Authorization", auto_error=False, scheme_name="TerminalAuth",
    description="Terminal <terminal_id>:<secret>, as returned by /api/v1/terminals/enrol")

# last_seen_at is refreshed at most this often, so reads do not all become writes.
LAST_SEEN_RESOLUTION = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class TerminalIdentity:
    id: int
    public_id: str
    centre_id: int


def _refused(message: str) -> ApiError:
    return ApiError(401, "terminal_unauthenticated", message,
                    headers={"WWW-Authenticate": contract.AUTH_SCHEME})


def parse_authorization(header: str | None) -> tuple[str, str]:
    """(terminal_id, secret) from the header, or the 401 refusal."""
    if not header:
        raise _refused("missing Authorization header")
    scheme, _, credentials = header.strip().partition(" ")
    terminal_id, sep, secret = credentials.strip().partition(":")
    if scheme != contract.AUTH_SCHEME or not sep or not terminal_id or not secret:
        raise _refused(f"expected 'Authorization: {contract.AUTH_SCHEME} <terminal_id>:<secret>'")
    return terminal_id, secret


def authenticated_terminal(
    header: str | None = Depends(authorization_header),
    ctx: ServerContext = Depends(get_context),
) -> TerminalIdentity:
    """FastAPI dependency: the terminal behind a valid, unrevoked credential."""
    public_id, secret = parse_authorization(header)
    with ctx.db.session() as session:
        terminal = session.scalar(select(Terminal).where(Terminal.public_id == public_id))
        if terminal is None or not tokens.matches(secret, terminal.secret_sha256):
            raise _refused("unknown terminal or wrong secret")
        if terminal.revoked_at is not None:
            raise _refused("this terminal has been revoked")
        now = ctx.clock()
        if terminal.last_seen_at is None or now - terminal.last_seen_at > LAST_SEEN_RESOLUTION:
            terminal.last_seen_at = now
        return TerminalIdentity(terminal.id, terminal.public_id, terminal.centre_id)


def issue_enrol_token(session: Session, centre_id: int, now: dt.datetime,
                      ttl: dt.timedelta, created_by: int | None = None) -> tuple[str, EnrolToken]:
    """Create a one-time enrolment token; the clear token is returned, only its digest kept."""
    token = tokens.new_secret()
    row = EnrolToken(token_sha256=tokens.digest(token), centre_id=centre_id, created_by=created_by,
                     created_at=now, expires_at=now + ttl)
    session.add(row)
    session.flush()
    return token, row


def enrol_terminal(session: Session, request: contract.EnrolRequest,
                   now: dt.datetime) -> contract.EnrolResponse:
    """Spend a one-time token and create the terminal; refuse unknown, used, expired tokens."""
    if has_control_characters(request.name):
        raise ApiError(422, "validation_error", "name: contains control characters")
    invalid = ApiError(401, "enrol_token_invalid",
                       "the enrolment token is unknown, already used or expired")
    token = session.scalar(select(EnrolToken).where(
        EnrolToken.token_sha256 == tokens.digest(request.token.strip())))
    if token is None or token.used_at is not None or token.expires_at <= now:
        raise invalid
    # Conditional update: of two simultaneous enrolments with one token, only one wins.
    spent = session.execute(update(EnrolToken)
                            .where(EnrolToken.id == token.id, EnrolToken.used_at.is_(None))
                            .values(used_at=now))
    if spent.rowcount != 1:
        raise invalid
    secret = tokens.new_secret()
    terminal = Terminal(public_id=tokens.new_terminal_id(), name=request.name.strip() or "terminal",
                        centre_id=token.centre_id, secret_sha256=tokens.digest(secret),
                        created_at=now)
    session.add(terminal)
    session.flush()
    session.execute(update(EnrolToken).where(EnrolToken.id == token.id)
                    .values(terminal_id=terminal.id))
    centre = session.get(Centre, token.centre_id)
    return contract.EnrolResponse(terminal_id=terminal.public_id, secret=secret,
                                  centre_id=centre.id, centre_name=centre.name)
