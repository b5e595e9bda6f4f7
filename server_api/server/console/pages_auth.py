"""Sign-in (with lockout after repeated failures), sign-out and the language switch."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from server_api.server import lockout
from server_api.server.auth import StaffIdentity, authenticate, sign_in
from server_api.server.console.common import audit, checked_staff, flash, redirect, render
from server_api.server.i18n import LANGUAGES
from server_api.server.validation import FormError

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only ever return to a console page (no open redirect)."""
    if target and target.startswith("/console") and not target.startswith("//"):
        return target
    return "/console/"


def client_address(request: Request) -> str:
    """The peer address of the connection (a reverse proxy must pass it through)."""
    return request.client.host if request.client else "unknown"


@router.get("/login")
def login_page(request: Request, next: str = "/console/") -> Response:
    return render(request, "login.html", next=_safe_next(next), username="")


def _check_sign_in(request: Request, username: str, password: str):
    """(account, None) on success, (None, lockout end or None) on refusal; audited.

    A locked name or address is refused without looking at the password, the same way
    whether or not the account exists. The password check (Argon2, slow on purpose) runs
    outside the write transaction, so it never holds SQLite's write lock.
    """
    ctx = request.app.state.ctx
    limits = lockout.Limits.from_settings(ctx.settings)
    name, address = username.strip()[:100], client_address(request)
    keys = [(lockout.account_key(name), limits.account_failures),
            (lockout.address_key(address), limits.address_failures)]
    now = ctx.clock()
    with ctx.db.session() as session:
        until = lockout.locked_until(session, [key for key, _ in keys], now)
        user = None if until is not None else authenticate(session, name, password)
    with ctx.db.session(write=True) as session:
        if until is not None:
            audit(session, None, now, "login_refused_locked", name, f"address:{address}")
            return None, until
        if user is not None:
            lockout.clear(session, keys[0][0], now)
            audit(session, StaffIdentity(user.id, user.username, user.role, user.centre_id),
                  now, "login", user.username, f"address:{address}")
            return user, None
        audit(session, None, now, "login_failed", name, f"address:{address}")
        for key, limit in keys:
            locked = lockout.record_failure(session, key, limit, limits, now)
            if locked is not None:
                audit(session, None, now, "login_lockout", key, f"until:{locked.isoformat()}")
                until = max(until or locked, locked)
        return None, until


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""),
          csrf_token: str = Form(""), next: str = Form("/console/")) -> Response:
    if not csrf_token or csrf_token != request.session.get("csrf"):
        raise HTTPException(403, "invalid form token, reload the page")
    user, until = _check_sign_in(request, username, password)
    if user is None:
        ctx = request.app.state.ctx
        error = (FormError("error.login_failed") if until is None else FormError(
            "error.login_locked", until=ctx.templates.env.filters["localtime"](until)))
        return render(request, "login.html", status=401 if until is None else 429,
                      next=_safe_next(next), username=username.strip(), error=error)
    sign_in(request, user)
    return redirect(_safe_next(next))


@router.post("/logout")
def logout(request: Request, staff: StaffIdentity = Depends(checked_staff)) -> Response:
    language = request.session.get("lang")
    request.session.clear()
    if language:
        request.session["lang"] = language
    flash(request, "notice.signed_out")
    return redirect("/console/login")


@router.get("/lang")
def switch_language(request: Request, to: str = "zh_CN", next: str = "/console/") -> Response:
    if to in LANGUAGES:
        request.session["lang"] = to
    return redirect(_safe_next(next))
