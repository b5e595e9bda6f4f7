"""The fleet part of the terminal API: heartbeats and command results (``contract``).

A heartbeat is cheap by design (thousands of terminals every 30 s): besides the
signature's nonce it costs one upsert of the terminal's health row, one select of its
unanswered commands (an update only when some were still queued) and one select of its
configuration rows.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from server_api import contract
from server_api.server.clock import as_utc
from server_api.server.context import ServerContext, get_context
from server_api.server.errors import ApiError, error_responses
from server_api.server.fleet import effective_for
from server_api.server.fleet_models import (
    COMMAND_DELIVERED, COMMAND_OPEN, COMMAND_QUEUED, TerminalCommand, TerminalHealth,
)
from server_api.server.models import MAX_ID
from server_api.server.storage import FileTxn
from server_api.server.terminal_api import BODY_ERRORS
from server_api.server.terminal_auth import TerminalIdentity, authenticated_terminal
from server_api.server.validation import has_control_characters

CommandId = Annotated[int, Path(ge=1, le=MAX_ID)]
MAX_ATTACHMENT_BYTES = 4 * 1024**2
# The attachment each command kind may carry.
ATTACHMENT_TYPES = {contract.CommandKind.upload_logs.value: "text/plain",
                    contract.CommandKind.screenshot.value: "image/png"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REPORTED_TIMES = (dt.datetime(1900, 1, 1, tzinfo=dt.timezone.utc),
                  dt.datetime(9000, 1, 1, tzinfo=dt.timezone.utc))

router = APIRouter(prefix=contract.API_PREFIX, tags=["terminal"])


def _utc(value: dt.datetime, field: str) -> dt.datetime:
    """Aware UTC, or a 422 for a time outside REPORTED_TIMES (a clock reset to 1970 is
    kept: the console shows the offset; the calendar's ends cannot even be displayed)."""
    try:
        moment = as_utc(value)
    except (OverflowError, ValueError):
        moment = None
    if moment is None or not REPORTED_TIMES[0] <= moment <= REPORTED_TIMES[1]:
        raise ApiError(422, "validation_error", f"{field}: out of range")
    return moment


def _check_report(report: contract.HeartbeatRequest) -> None:
    unknown = set(report.devices) - set(contract.DEVICE_NAMES)
    if unknown:
        raise ApiError(422, "validation_error",
                       f"devices: unknown device {sorted(unknown)[0]!r} "
                       f"(one of {', '.join(contract.DEVICE_NAMES)})")
    texts = [("app_version", report.app_version), ("content_version", report.content_version)]
    texts += [(f"devices.{name}.detail", d.detail) for name, d in report.devices.items()]
    for field, value in texts:
        if has_control_characters(value):
            raise ApiError(422, "validation_error", f"{field}: contains control characters")


@router.post("/terminal/heartbeat", response_model=contract.HeartbeatResponse,
             responses=error_responses(401, *BODY_ERRORS))
def heartbeat(report: contract.HeartbeatRequest,
              terminal: TerminalIdentity = Depends(authenticated_terminal),
              ctx: ServerContext = Depends(get_context)) -> contract.HeartbeatResponse:
    """Store the terminal's reported state; answer its configuration and the commands it
    has not answered yet (marking the queued ones delivered)."""
    _check_report(report)
    now = ctx.clock()
    terminal_time = _utc(report.terminal_time, "terminal_time")
    last_sync = _utc(report.last_sync_at, "last_sync_at") if report.last_sync_at else None
    values = dict(
        received_at=now, app_version=report.app_version, content_version=report.content_version,
        content_bytes_done=report.content_bytes_done, content_bytes_total=report.content_bytes_total,
        content_error=report.content_error,
        config_version=report.config_version, free_disk_bytes=report.free_disk_bytes,
        devices_json=json.dumps({k: v.model_dump() for k, v in report.devices.items()},
                                ensure_ascii=False),
        outbox_depth=report.outbox_depth, last_sync_at=last_sync, terminal_time=terminal_time,
        clock_offset_s=(now - terminal_time).total_seconds(), locked=report.locked,
        in_use=report.in_use)
    with ctx.db.session() as session:
        if ctx.db.dialect == "postgresql":
            # Health is overwritten every interval; a crash may lose only the last report.
            session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        module = postgresql if ctx.db.dialect == "postgresql" else sqlite
        session.execute(module.insert(TerminalHealth)
                        .values(terminal_id=terminal.id, **values)
                        .on_conflict_do_update(index_elements=["terminal_id"], set_=values))
        commands = session.execute(
            select(TerminalCommand.id, TerminalCommand.kind, TerminalCommand.created_at,
                   TerminalCommand.status)
            .where(TerminalCommand.terminal_id == terminal.id,
                   TerminalCommand.status.in_(COMMAND_OPEN))
            .order_by(TerminalCommand.id)).all()
        queued = [c.id for c in commands if c.status == COMMAND_QUEUED]
        if queued:
            session.execute(update(TerminalCommand)
                            .where(TerminalCommand.id.in_(queued),
                                   TerminalCommand.status == COMMAND_QUEUED)
                            .values(status=COMMAND_DELIVERED, delivered_at=now))
        config = effective_for(session, terminal.centre_id, terminal.id).config
    return contract.HeartbeatResponse(
        server_time=now, config=config,
        commands=[contract.Command(id=c.id, kind=c.kind, created_at=c.created_at)
                  for c in commands])


def _attachment(command: TerminalCommand, result: contract.CommandResult) -> bytes | None:
    """The decoded attachment, checked against the command's kind, or None."""
    if result.attachment_b64 is None:
        if result.attachment_type is not None:
            raise ApiError(422, "attachment_invalid", "attachment_type given without attachment_b64")
        return None
    expected = ATTACHMENT_TYPES.get(command.kind)
    if expected is None:
        raise ApiError(422, "attachment_invalid", f"a {command.kind} command takes no attachment")
    if result.attachment_type != expected:
        raise ApiError(422, "attachment_invalid",
                       f"attachment_type: a {command.kind} answer is {expected}")
    try:
        data = base64.b64decode(result.attachment_b64, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "attachment_invalid", "attachment_b64: not base64") from None
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ApiError(413, "attachment_too_large",
                       f"the attachment is larger than {MAX_ATTACHMENT_BYTES} bytes")
    if expected == "image/png" and not data.startswith(PNG_SIGNATURE):
        raise ApiError(422, "attachment_invalid", "attachment_b64: not a PNG image")
    if expected == "text/plain":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(422, "attachment_invalid", "attachment_b64: not UTF-8 text") from None
    return data


@router.post("/terminal/commands/{command_id}/result", response_model=contract.CommandAck,
             responses=error_responses(
                 401, 404, 409, *BODY_ERRORS,
                 s404="No such command for this terminal (`command_not_found`)",
                 s409="The command was already answered (`command_finished`)",
                 s413="The body (`payload_too_large`) or the attachment "
                      "(`attachment_too_large`, 4 MiB decoded) is too large",
                 s422="Invalid request (`validation_error`), or an attachment that is not "
                      "the command's kind of file (`attachment_invalid`)"))
def command_result(command_id: CommandId, result: contract.CommandResult,
                   terminal: TerminalIdentity = Depends(authenticated_terminal),
                   ctx: ServerContext = Depends(get_context)) -> contract.CommandAck:
    """Record the terminal's answer to one of its commands, once."""
    if has_control_characters(result.message):
        raise ApiError(422, "validation_error", "message: contains control characters")
    files = FileTxn(ctx.storage)
    try:
        with ctx.db.session() as session:
            command = session.get(TerminalCommand, command_id)
            if command is None or command.terminal_id != terminal.id:
                raise ApiError(404, "command_not_found", f"command {command_id} not found")
            if command.status not in COMMAND_OPEN:
                raise ApiError(409, "command_finished", f"command {command_id} was already answered")
            data = _attachment(command, result)
            path = None
            if data is not None:
                suffix = "png" if result.attachment_type == "image/png" else "txt"
                path = files.write(f"commands/{terminal.id}/{command.id}.{suffix}", data)
            # Conditional update: of two answers racing, only the first is recorded.
            answered = session.execute(
                update(TerminalCommand)
                .where(TerminalCommand.id == command.id, TerminalCommand.status.in_(COMMAND_OPEN))
                .values(status=result.status, finished_at=ctx.clock(), message=result.message,
                        attachment_path=path, attachment_type=result.attachment_type if path else None)
            ).rowcount == 1
            if not answered:
                raise ApiError(409, "command_finished", f"command {command_id} was already answered")
    except BaseException:
        files.rolled_back()
        raise
    files.committed()
    return contract.CommandAck(id=command_id, status=result.status)
