"""Sign-in, sign-out and the language switch."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

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


@router.get("/login")
def login_page(request: Request, next: str = "/console/") -> Response:
    return render(request, "login.html", next=_safe_next(next), username="")


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""),
          csrf_token: str = Form(""), next: str = Form("/console/")) -> Response:
    if not csrf_token or csrf_token != request.session.get("csrf"):
        raise HTTPException(403, "invalid form token, reload the page")
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        user = authenticate(session, username, password)
        if user is None:
            audit(session, None, ctx.clock(), "login_failed", username.strip()[:100])
        else:
            audit(session, StaffIdentity(user.id, user.username, user.role, user.centre_id),
                  ctx.clock(), "login", user.username)
    if user is None:
        return render(request, "login.html", status=401, next=_safe_next(next),
                      username=username.strip(), error=FormError("error.login_failed"))
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
