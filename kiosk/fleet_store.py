"""What the fleet side keeps in the terminal's store: configuration, lock, commands.

A command id is recorded BEFORE it runs, so a crash or restart mid-way never runs it
twice; its result stays (sealed) until the central server acknowledges it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from kiosk.clock import naive_utc
from kiosk.store import Store
from kiosk.store.models import FleetCommand, TerminalSetting
from server_api.contract import CommandResult, TerminalConfig

CONFIG, LOCKED = "config", "locked"


def _get(store: Store, name: str) -> str | None:
    with store.session() as s:
        row = s.get(TerminalSetting, name)
        return row.value if row else None


def _put(store: Store, name: str, value: str) -> None:
    with store.session() as s:
        row = s.get(TerminalSetting, name)
        if row is None:
            s.add(TerminalSetting(name=name, value=value))
        else:
            row.value = value


def load_config(store: Store) -> TerminalConfig | None:
    """The last configuration applied (None: never configured centrally)."""
    raw = _get(store, CONFIG)
    if raw is None:
        return None
    try:
        return TerminalConfig.model_validate_json(raw)
    except ValueError:  # a config of an older contract: start from the defaults
        return None


def save_config(store: Store, config: TerminalConfig) -> None:
    _put(store, CONFIG, config.model_dump_json())


def load_locked(store: Store) -> bool:
    return _get(store, LOCKED) == "1"


def save_locked(store: Store, locked: bool) -> None:
    _put(store, LOCKED, "1" if locked else "0")


@dataclass(frozen=True)
class CommandRecord:
    id: int
    kind: str
    status: str


def command(store: Store, command_id: int) -> CommandRecord | None:
    with store.session() as s:
        row = s.get(FleetCommand, command_id)
        return CommandRecord(row.id, row.kind, row.status) if row else None


def record_received(store: Store, command_id: int, kind: str, status: str,
                    at: dt.datetime) -> bool:
    """Record a new command id; False when it is already known (never run it again)."""
    with store.session() as s:
        if s.get(FleetCommand, command_id) is not None:
            return False
        s.add(FleetCommand(id=command_id, kind=kind, status=status, received_at=naive_utc(at)))
        return True


def set_status(store: Store, command_id: int, status: str) -> None:
    with store.session() as s:
        s.get(FleetCommand, command_id).status = status


def record_result(store: Store, command_id: int, result: CommandResult) -> None:
    """Keep the answer until the server acknowledges it (it is re-sent until then)."""
    with store.session() as s:
        row = s.get(FleetCommand, command_id)
        row.status = result.status
        row.result_sealed = store.sealer.seal(result.model_dump_json().encode(),
                                              f"command:{command_id}")


def unsent_results(store: Store) -> list[tuple[int, CommandResult]]:
    """Answers not yet acknowledged, oldest command first."""
    with store.session() as s:
        rows = s.scalars(select(FleetCommand).where(FleetCommand.acked_at.is_(None),
                                                    FleetCommand.result_sealed.is_not(None))
                         .order_by(FleetCommand.id)).all()
        return [(r.id, CommandResult.model_validate_json(
            store.sealer.open(r.result_sealed, f"command:{r.id}"))) for r in rows]


def mark_acked(store: Store, command_id: int, at: dt.datetime) -> None:
    """The server has the answer: drop the (possibly large, personal) attachment."""
    with store.session() as s:
        row = s.get(FleetCommand, command_id)
        row.acked_at = naive_utc(at)
        row.result_sealed = None


def interrupted(store: Store) -> list[CommandRecord]:
    """Commands that were running when the app stopped: answered "failed", not re-run."""
    with store.session() as s:
        rows = s.scalars(select(FleetCommand).where(FleetCommand.status == "running")).all()
        return [CommandRecord(r.id, r.kind, r.status) for r in rows]


def waiting(store: Store) -> list[CommandRecord]:
    with store.session() as s:
        rows = s.scalars(select(FleetCommand).where(FleetCommand.status == "waiting")
                         .order_by(FleetCommand.id)).all()
        return [CommandRecord(r.id, r.kind, r.status) for r in rows]
