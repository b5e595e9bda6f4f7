"""A terminal's page (reported health, commands and their results, its configuration)
and a centre's terminal configuration. Scoped: another centre's terminal is 404."""
from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.exceptions import HTTPException

from server_api import contract
from server_api.server.auth import StaffIdentity, current_staff
from server_api.server.console.common import (
    SECURITY_HEADERS, RowId, audit, centre_in_scope, checked_staff, flash, language, redirect,
    render, terminal_in_scope,
)
from server_api.server.console.fleet_forms import LANGUAGE_CHOICES, form_values, parse_config_form
from server_api.server.content_api import publish_content
from server_api.server.fleet import CONFIG_KEYS, effective, save_settings, settings_rows, terminal_views
from server_api.server.fleet_models import COMMAND_QUEUED, TerminalCommand
from server_api.server.i18n import translator
from server_api.server.validation import FormError

router = APIRouter()
COMMAND_HISTORY = 50
COMMAND_KINDS = [k.value for k in contract.CommandKind]
ATTACHMENT_MEDIA = {"text/plain": "text/plain; charset=utf-8", "image/png": "image/png"}


def _form_error(request: Request, exc: FormError) -> str:
    """The message of a refused form, with the field and hint named in the page's language."""
    t = translator(language(request))
    params = {k: (t(v) if k.endswith("_key") else v) for k, v in exc.params.items()}
    return t(exc.key, **{k.removesuffix("_key"): v for k, v in params.items()})


def _terminal_page(request: Request, staff: StaffIdentity, terminal_id: int, status: int = 200,
                   error: str | None = None, form: dict | None = None) -> Response:
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        terminal = terminal_in_scope(session, staff, terminal_id)
        view = terminal_views(session, [terminal], ctx.clock())[0]
        commands = list(session.scalars(
            select(TerminalCommand).where(TerminalCommand.terminal_id == terminal.id)
            .options(selectinload(TerminalCommand.creator))
            .order_by(TerminalCommand.id.desc()).limit(COMMAND_HISTORY)))
        rows = settings_rows(session, [terminal.centre_id], [terminal.id])
        own = rows.get(("terminal", terminal.id))
        centre_eff = effective(rows.get(("centre", terminal.centre_id)), None)
        centre_name = terminal.centre.name
    values = form if form is not None else form_values(
        json.loads(own.values_json) if own else {})
    return render(request, "terminal_detail.html", staff, status=status, error=error,
                  view=view, commands=commands, kinds=COMMAND_KINDS, values=values,
                  inherited=centre_eff, centre_name=centre_name, config_keys=CONFIG_KEYS,
                  language_choices=LANGUAGE_CHOICES)


@router.get("/terminals/{terminal_id}")
def terminal_page(request: Request, terminal_id: RowId,
                  staff: StaffIdentity = Depends(current_staff)) -> Response:
    return _terminal_page(request, staff, terminal_id)


@router.post("/terminals/{terminal_id}/commands")
def queue_command(request: Request, terminal_id: RowId, kind: str = Form(""),
                  staff: StaffIdentity = Depends(checked_staff)) -> Response:
    """Queue a command; the terminal gets it in its next heartbeat answer."""
    ctx = request.app.state.ctx
    if kind not in COMMAND_KINDS:
        return _terminal_page(request, staff, terminal_id, 400,
                              translator(language(request))("error.command_kind"))
    with ctx.db.session() as session:
        terminal = terminal_in_scope(session, staff, terminal_id)
        if terminal.revoked_at is not None:
            error = translator(language(request))("error.terminal_revoked")
            return _terminal_page(request, staff, terminal_id, 409, error)
        now = ctx.clock()
        command = TerminalCommand(terminal_id=terminal.id, kind=kind, status=COMMAND_QUEUED,
                                  created_by=staff.id, created_at=now, message="")
        session.add(command)
        session.flush()
        audit(session, staff, now, "terminal_command", f"terminal:{terminal.id}",
              f"command:{command.id} {kind}")
        name = terminal.name
    flash(request, "notice.command_queued", name=name,
          kind=translator(language(request))(f"command.{kind}"))
    return redirect(f"/console/terminals/{terminal_id}")


@router.get("/terminals/{terminal_id}/commands/{command_id}/attachment")
def command_attachment(request: Request, terminal_id: RowId, command_id: RowId,
                       staff: StaffIdentity = Depends(current_staff)) -> Response:
    """The logs (text) or the screenshot (PNG) a terminal sent back; audited."""
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        terminal = terminal_in_scope(session, staff, terminal_id)
        command = session.get(TerminalCommand, command_id)
        if command is None or command.terminal_id != terminal.id or not command.attachment_path:
            raise HTTPException(404)
        # A screenshot may show a person at the terminal: reading it is audited.
        audit(session, staff, ctx.clock(), "terminal_attachment_view", f"terminal:{terminal.id}",
              f"command:{command.id} {command.kind}")
        path = ctx.storage.resolve(command.attachment_path)
        media = ATTACHMENT_MEDIA.get(command.attachment_type or "", "application/octet-stream")
    if not path.is_file():
        raise HTTPException(404)
    return FileResponse(path, media_type=media, headers=SECURITY_HEADERS)


async def _config_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: str(form.get(key, "")) for key in CONFIG_KEYS}


@router.post("/terminals/{terminal_id}/config")
def terminal_config(request: Request, terminal_id: RowId,
                    form: dict = Depends(_config_form),
                    staff: StaffIdentity = Depends(checked_staff)) -> Response:
    """Save the keys set for this terminal (empty = the centre's value)."""
    ctx = request.app.state.ctx
    try:
        values = parse_config_form(form)
    except FormError as exc:
        return _terminal_page(request, staff, terminal_id, 400, _form_error(request, exc), form)
    with ctx.db.session() as session:
        terminal = terminal_in_scope(session, staff, terminal_id)
        now = ctx.clock()
        version = save_settings(session, values, now, staff.id, terminal_id=terminal.id)
        audit(session, staff, now, "terminal_config_save", f"terminal:{terminal.id}",
              f"version:{version} keys:{','.join(sorted(values)) or '-'}")
        name = terminal.name
    flash(request, "notice.config_saved", name=name, version=version)
    return redirect(f"/console/terminals/{terminal_id}")


def _centre_page(request: Request, staff: StaffIdentity, centre_id: int, status: int = 200,
                 error: str | None = None, form: dict | None = None) -> Response:
    ctx = request.app.state.ctx
    with ctx.db.session() as session:
        centre = centre_in_scope(session, staff, centre_id)
        if centre is None:
            raise HTTPException(404)
        own = settings_rows(session, [centre.id], []).get(("centre", centre.id))
        eff = effective(own, None)
    values = form if form is not None else form_values(
        json.loads(own.values_json) if own else {})
    return render(request, "centre_config.html", staff, status=status, error=error, centre=centre,
                  values=values, effective=eff, defaults=effective(None, None),
                  config_keys=CONFIG_KEYS,
                  language_choices=LANGUAGE_CHOICES)


@router.get("/fleet/centres/{centre_id}/config")
def centre_config_page(request: Request, centre_id: RowId,
                       staff: StaffIdentity = Depends(current_staff)) -> Response:
    return _centre_page(request, staff, centre_id)


@router.post("/fleet/centres/{centre_id}/config")
def centre_config(request: Request, centre_id: RowId, form: dict = Depends(_config_form),
                  staff: StaffIdentity = Depends(checked_staff)) -> Response:
    """Save the keys set for every terminal of the centre (empty = the default)."""
    ctx = request.app.state.ctx
    try:
        values = parse_config_form(form)
    except FormError as exc:
        return _centre_page(request, staff, centre_id, 400, _form_error(request, exc), form)
    with ctx.db.session() as session:
        centre = centre_in_scope(session, staff, centre_id)
        if centre is None:
            raise HTTPException(404)
        now = ctx.clock()
        version = save_settings(session, values, now, staff.id, centre_id=centre.id)
        audit(session, staff, now, "centre_config_save", f"centre:{centre.id}",
              f"version:{version} keys:{','.join(sorted(values)) or '-'}")
        name = centre.name
    publish_content(ctx)  # the centre's configuration, signed for its terminals (TUF)
    flash(request, "notice.config_saved", name=name, version=version)
    return redirect(f"/console/fleet/centres/{centre_id}/config")
