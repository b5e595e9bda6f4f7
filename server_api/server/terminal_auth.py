"""Terminal enrolment (one-time token plus the terminal's public key) and verification of
signed terminal requests (HTTP Message Signatures, RFC 9421, Ed25519).

The profile is in ``server_api.signing``. A request is checked in this order, each
refusal a 401 with its stable code (and an ``Accept-Signature`` header saying what to
sign):

1. ``signature_missing``: no ``Signature-Input`` / ``Signature`` header;
   ``signature_invalid``: not exactly one well-formed signature with ``keyid``,
   ``created``, ``nonce`` and ``alg="ed25519"`` covering ``@method``, ``@path`` (with
   ``@query`` when there is a query; or ``@target-uri``) and ``content-digest``;
2. ``signature_expired``: ``created`` more than ``signature_max_skew_s`` (300 s) from the
   server's clock, either way, or ``expires`` passed;
3. ``terminal_unknown``: no terminal with that ``keyid`` (or one enrolled before keys);
4. ``signature_invalid``: the Ed25519 signature does not verify with its public key;
5. ``digest_mismatch``: the body is not the one the signed ``Content-Digest`` describes;
6. ``terminal_revoked``: staff revoked the terminal (told only to the key's holder);
   ``terminal_disabled``: staff suspended it for a while (暂停接入); its key stays valid;
7. ``nonce_replayed``: the terminal already used this nonce. Nonces live in the
   database (primary key terminal + nonce), so every worker process sees them, until
   ``created`` plus the allowed skew, when a replay would be stale anyway; expired ones
   are purged now and then.

Cost of an accepted request: parsing and one Ed25519 verification (about 0.4 ms), then
one transaction with one statement, an ``INSERT ... SELECT`` that stores the nonce only
if the terminal is neither revoked nor suspended and the nonce is new (on PostgreSQL without waiting for
the WAL flush). A terminal's id, centre and public key never change (provisioning again
makes a new terminal), so each process caches them; revocation and suspension are
read every time.
Once a minute per terminal and process ``last_seen_at`` is updated, and once a minute
per process expired nonces are deleted, in the same transaction.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

import http_sf
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from http_message_signatures import (
    HTTPMessageSignaturesException, HTTPMessageVerifier, HTTPSignatureKeyResolver,
    InvalidSignature, algorithms,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import String, delete, insert, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server_api import contract, signing
from server_api.server import tokens
from server_api.server.context import ServerContext, get_context
from server_api.server.errors import ApiError
from server_api.server.models import (
    Centre, EnrolToken, Terminal, TerminalNonce, UTCDateTime,
)
from server_api.server.validation import has_control_characters

log = logging.getLogger(__name__)

# Declared so OpenAPI documents the scheme; the dependency reads the headers itself.
signature_header = APIKeyHeader(
    name="Signature", auto_error=False, scheme_name="TerminalSignature",
    description="RFC 9421 HTTP Message Signature (with Signature-Input) by the terminal's "
                "Ed25519 key: see server_api.signing")

# last_seen_at is refreshed at most this often, so requests do not all update the row.
LAST_SEEN_RESOLUTION = dt.timedelta(seconds=60)
# Each process deletes expired nonces at most this often.
NONCE_PURGE_INTERVAL_S = 60.0
ACCEPT_SIGNATURE = (f'{signing.SIGNATURE_LABEL}=('
                    + " ".join(f'"{c}"' for c in signing.COVERED_COMPONENTS)
                    + f');created;nonce;alg="{signing.ALGORITHM}"')


@dataclass(frozen=True)
class TerminalIdentity:
    id: int
    public_id: str
    centre_id: int


def _refused(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"Accept-Signature": ACCEPT_SIGNATURE})


# --- what the verifier reads ----------------------------------------------------------

@dataclass(frozen=True)
class SignedRequest:
    """A received request as ``http_message_signatures`` reads it: an encoded absolute
    URL (path and query as sent), the method, and the header lines in order."""

    method: str
    url: str
    headers: "HeaderLines"
    has_query: bool

    @classmethod
    def from_scope(cls, request: Request) -> "SignedRequest":
        scope = request.scope
        path = scope.get("raw_path") or scope["path"].encode("utf-8")
        query = scope.get("query_string") or b""
        host = request.headers.get("host") or "localhost"
        url = (f"{scope.get('scheme', 'http')}://{host}{path.decode('latin-1')}"
               + (f"?{query.decode('latin-1')}" if query else ""))
        return cls(request.method, url, HeaderLines(scope["headers"]), bool(query))


class HeaderLines:
    """Raw ASGI header lines (bytes pairs) as the ``items()`` of text pairs."""

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self.raw = raw

    def items(self):
        return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in self.raw]

    def get(self, name: str) -> str | None:
        wanted = name.lower().encode("latin-1")
        values = [v.decode("latin-1") for n, v in self.raw if n.lower() == wanted]
        return ", ".join(values) if values else None

    def __iter__(self):
        return iter(dict.fromkeys(name for name, _ in self.items()))

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None


@dataclass(frozen=True)
class SignatureInput:
    """The one signature's declared coverage and parameters (not yet verified)."""

    components: frozenset[str]
    keyid: str
    created: int
    expires: int | None
    nonce: str


def parse_signature_input(request: SignedRequest) -> SignatureInput:
    """Read ``Signature-Input``; refuse what cannot be a valid terminal signature."""
    sig_input, signature = request.headers.get("signature-input"), request.headers.get("signature")
    if sig_input is None or signature is None:
        raise _refused("signature_missing",
                       "terminal requests must carry Signature-Input and Signature headers")
    try:
        members = http_sf.parse(sig_input.encode("latin-1"), tltype="dictionary")
    except (ValueError, TypeError, UnicodeEncodeError):
        raise _refused("signature_invalid", "Signature-Input is not a structured dictionary") from None
    if not isinstance(members, dict) or len(members) != 1:
        raise _refused("signature_invalid", "exactly one signature is expected")
    (member, params), = members.values()
    if not isinstance(member, list):
        raise _refused("signature_invalid", "the signature input must be an inner list")
    components = frozenset(value for value, item_params in member
                           if isinstance(value, str)
                           and (not item_params or value == "content-digest"))
    keyid, created, nonce = params.get("keyid"), params.get("created"), params.get("nonce")
    expires = params.get("expires")
    if not isinstance(keyid, str) or not keyid:
        raise _refused("signature_invalid", "the signature has no keyid")
    if type(created) is not int or (expires is not None and type(expires) is not int):
        raise _refused("signature_invalid", "the signature needs an integer 'created'")
    if params.get("alg") != signing.ALGORITHM:
        raise _refused("signature_invalid", f"the signature must declare alg=\"{signing.ALGORITHM}\"")
    if (not isinstance(nonce, str)
            or not signing.NONCE_MIN_LENGTH <= len(nonce) <= signing.NONCE_MAX_LENGTH
            or not nonce.isascii() or not nonce.isprintable()):
        raise _refused("signature_invalid", f"the signature needs a nonce of "
                       f"{signing.NONCE_MIN_LENGTH}-{signing.NONCE_MAX_LENGTH} printable characters")
    covers_target = "@target-uri" in components or (
        "@path" in components and ("@query" in components or not request.has_query))
    if "@method" not in components or "content-digest" not in components or not covers_target:
        raise _refused("signature_invalid", "the signature must cover "
                       + ", ".join(signing.COVERED_COMPONENTS))
    return SignatureInput(components, keyid, created, expires, nonce)


def check_times(sig: SignatureInput, now: dt.datetime, max_skew_s: int) -> None:
    """Refuse a signature made too long ago, too far ahead, or past its ``expires``."""
    offset = sig.created - now.timestamp()
    if offset > max_skew_s:
        raise _refused("signature_expired", f"the signature was created {offset:.0f} s ahead "
                       f"of the server's clock (at most {max_skew_s} s allowed)")
    if offset < -max_skew_s:
        raise _refused("signature_expired", f"the signature was created {-offset:.0f} s ago "
                       f"(at most {max_skew_s} s allowed)")
    if sig.expires is not None and sig.expires < now.timestamp():
        raise _refused("signature_expired", "the signature has expired")


class _Verifier(HTTPMessageVerifier):
    """The library's verifier; times were already checked against the server's clock."""

    def validate_created_and_expires(self, sig_input, max_age=None):
        return None


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, keyid: str, key) -> None:
        self.keyid, self.key = keyid, key

    def resolve_public_key(self, key_id: str):
        return self.key if key_id == self.keyid else None


def verify_signature(request: SignedRequest, body: bytes, keyid: str, public_key) -> None:
    """Check the Ed25519 signature, then the body against the signed Content-Digest."""
    verifier = _Verifier(signature_algorithm=algorithms.ED25519,
                         key_resolver=_OneKey(keyid, public_key))
    try:
        results = verifier.verify(request, max_age=None)
    except (InvalidSignature, HTTPMessageSignaturesException, ValueError, TypeError):
        raise _refused("signature_invalid", "the signature does not verify") from None
    try:
        verifier.verify_body(request, results, body)
    except (InvalidSignature, HTTPMessageSignaturesException, ValueError, TypeError):
        raise _refused("digest_mismatch",
                       "the body does not match the signed Content-Digest") from None


# --- terminals and their keys ----------------------------------------------------------

@dataclass(frozen=True)
class KnownTerminal:
    """What never changes about an enrolled terminal (a new key is a new terminal)."""

    id: int
    centre_id: int
    public_key: Ed25519PublicKey


# (database URL, keyid) -> KnownTerminal, per process. Revocation is never cached.
_known: dict[tuple[str, str], KnownTerminal] = {}
KNOWN_CACHE_SIZE = 10_000


def known_terminal(ctx: ServerContext, keyid: str) -> KnownTerminal | None:
    """The enrolled terminal with this keyid and its public key (cached), or None."""
    cache_key = (ctx.db.url, keyid)
    known = _known.get(cache_key)
    if known is not None:
        return known
    with ctx.db.session() as session:
        row = session.execute(select(Terminal.id, Terminal.centre_id, Terminal.public_key)
                              .where(Terminal.public_id == keyid)).first()
    if row is None or row.public_key is None:
        return None
    known = KnownTerminal(row.id, row.centre_id, signing.public_key_from_raw(row.public_key))
    if len(_known) >= KNOWN_CACHE_SIZE:
        _known.clear()
    _known[cache_key] = known
    return known


# --- nonces ----------------------------------------------------------------------------

_next_purge = 0.0
# (database URL, terminal id) -> when this process last wrote last_seen_at.
_last_seen_written: dict[tuple[str, int], float] = {}


def claim_nonce(session: Session, terminal_id: int, nonce: str,
                expires_at: dt.datetime) -> bool:
    """Store the nonce if the terminal is neither revoked nor suspended and never used it:
    one statement.

    False when nothing was stored (revoked, suspended, or a replay seen by any process).
    """
    source = (select(Terminal.id, literal(nonce, String()), literal(expires_at, UTCDateTime()))
              .where(Terminal.id == terminal_id, Terminal.revoked_at.is_(None),
                     Terminal.disabled_at.is_(None)))
    columns = ["terminal_id", "nonce", "expires_at"]
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        module = postgresql if dialect == "postgresql" else sqlite
        # RETURNING rather than rowcount: psycopg reports no rowcount for this statement.
        stmt = (module.insert(TerminalNonce).from_select(columns, source)
                .on_conflict_do_nothing().returning(TerminalNonce.terminal_id))
        return session.execute(stmt).first() is not None
    try:
        with session.begin_nested():
            return session.execute(insert(TerminalNonce).from_select(columns, source)).rowcount == 1
    except IntegrityError:
        return False


def purge_nonces(session: Session, now: dt.datetime) -> int:
    """Delete the nonces whose signatures are stale anyway; the number deleted."""
    return session.execute(delete(TerminalNonce).where(TerminalNonce.expires_at < now)).rowcount


def _purge_due() -> bool:
    global _next_purge
    moment = time.monotonic()
    if moment < _next_purge:
        return False
    _next_purge = moment + NONCE_PURGE_INTERVAL_S
    return True


def _last_seen_due(ctx: ServerContext, terminal_id: int) -> bool:
    moment, key = time.monotonic(), (ctx.db.url, terminal_id)
    if moment - _last_seen_written.get(key, -1e9) < LAST_SEEN_RESOLUTION.total_seconds():
        return False
    if len(_last_seen_written) >= KNOWN_CACHE_SIZE:
        _last_seen_written.clear()
    _last_seen_written[key] = moment
    return True


# --- the dependency --------------------------------------------------------------------

def verify_terminal_request(ctx: ServerContext, request: SignedRequest,
                            body: bytes) -> TerminalIdentity:
    """The terminal that signed this request, or the 401 refusal (see the module doc)."""
    now = ctx.clock()
    max_skew = ctx.settings.signature_max_skew_s
    sig = parse_signature_input(request)
    check_times(sig, now, max_skew)
    known = known_terminal(ctx, sig.keyid) if len(sig.keyid) <= 64 else None
    if known is None:
        raise _refused("terminal_unknown", "no terminal is enrolled with this keyid")
    verify_signature(request, body, sig.keyid, known.public_key)
    expires_at = (dt.datetime.fromtimestamp(sig.created, dt.timezone.utc)
                  + dt.timedelta(seconds=max_skew + 1))
    with ctx.db.session() as session:
        if ctx.db.dialect == "postgresql":
            # This transaction holds only the nonce (and last_seen_at): it need not wait
            # for the WAL flush. A crash may forget the nonces of its last moment.
            session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        if not claim_nonce(session, known.id, sig.nonce, expires_at):
            revoked, disabled = session.execute(select(
                Terminal.revoked_at, Terminal.disabled_at).where(Terminal.id == known.id)).one()
            if revoked is not None:
                raise _refused("terminal_revoked", "this terminal has been revoked; "
                                                   "staff must provision it again")
            if disabled is not None:
                raise _refused("terminal_disabled", "staff have suspended this terminal; "
                                                    "it is refused until they let it back in")
            raise _refused("nonce_replayed", "this signature's nonce was already used")
        if _last_seen_due(ctx, known.id):
            session.execute(update(Terminal).where(
                Terminal.id == known.id,
                (Terminal.last_seen_at.is_(None)) | (Terminal.last_seen_at < now - LAST_SEEN_RESOLUTION))
                .values(last_seen_at=now))
        if _purge_due():
            purge_nonces(session, now)
    return TerminalIdentity(known.id, sig.keyid, known.centre_id)


async def _request_body(request: Request) -> bytes:
    """The body as received (FastAPI has already read and cached it for JSON routes)."""
    return await request.body()


def authenticated_terminal(
    request: Request,
    body: bytes = Depends(_request_body),
    _documented: str | None = Depends(signature_header),
    ctx: ServerContext = Depends(get_context),
) -> TerminalIdentity:
    """FastAPI dependency: the enrolled, unrevoked terminal whose signature this is."""
    try:
        return verify_terminal_request(ctx, SignedRequest.from_scope(request), body)
    except ApiError as exc:
        log.info("terminal request refused: %s", exc.code)
        raise


# --- enrolment -------------------------------------------------------------------------

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
    """Spend a one-time token and create the terminal with the public key it sent.

    Refuses unknown, used or expired tokens (401), a key that is not an Ed25519 public
    key (422) and a key some terminal already has (409, also a revoked one: a terminal
    provisioned again makes a new key); a refused enrolment leaves the token unspent.
    """
    if has_control_characters(request.name):
        raise ApiError(422, "validation_error", "name: contains control characters")
    try:
        public_key = signing.raw_public_key(signing.parse_public_key(request.public_key))
    except ValueError:
        raise ApiError(422, "public_key_invalid",
                       "public_key must be an Ed25519 public key in PEM") from None
    invalid = ApiError(401, "enrol_token_invalid",
                       "the enrolment token is unknown, already used or expired")
    in_use = ApiError(409, "public_key_in_use",
                      "this public key is already enrolled; generate a new key pair")
    token = session.scalar(select(EnrolToken).where(
        EnrolToken.token_sha256 == tokens.digest(request.token.strip())))
    if token is None or token.used_at is not None or token.expires_at <= now:
        raise invalid
    if session.scalar(select(Terminal.id).where(Terminal.public_key == public_key)) is not None:
        raise in_use
    # Conditional update: of two simultaneous enrolments with one token, only one wins.
    spent = session.execute(update(EnrolToken)
                            .where(EnrolToken.id == token.id, EnrolToken.used_at.is_(None))
                            .values(used_at=now))
    if spent.rowcount != 1:
        raise invalid
    terminal = Terminal(public_id=tokens.new_terminal_id(), name=request.name.strip() or "terminal",
                        centre_id=token.centre_id, public_key=public_key, created_at=now)
    session.add(terminal)
    try:
        session.flush()
    except IntegrityError:  # the same key enrolled at the same moment elsewhere
        raise in_use from None
    session.execute(update(EnrolToken).where(EnrolToken.id == token.id)
                    .values(terminal_id=terminal.id))
    centre = session.get(Centre, token.centre_id)
    return contract.EnrolResponse(terminal_id=terminal.public_id, centre_id=centre.id,
                                  centre_name=centre.name)
