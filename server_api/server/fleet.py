"""The fleet's rules, shared by the terminal API and the console: the state a terminal is
in (from its last heartbeat, never assumed), its effective configuration, commands.

Effective configuration = ``TerminalConfig`` defaults <- centre settings <- terminal
settings; only keys staff set are stored. Its version is the larger of the two rows'
versions, each taken from one global counter on every save.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from server_api import contract
from server_api.server.fleet_models import ConfigCounter, ConfigSetting, TerminalHealth
from server_api.server.models import Terminal

# Keys staff may set (all of TerminalConfig but its version), in the form's order.
CONFIG_KEYS: tuple[str, ...] = tuple(k for k in contract.TerminalConfig.model_fields
                                     if k != "version")
DEFAULTS = contract.TerminalConfig()
# A terminal is stale after this many heartbeat intervals without one, offline after that.
STALE_AFTER_INTERVALS = 2
OFFLINE_AFTER_INTERVALS = 10
STATES = ("online", "stale", "offline", "never", "disabled", "revoked")


@dataclass(frozen=True)
class Effective:
    """A terminal's effective configuration and where each key's value comes from."""

    config: contract.TerminalConfig
    sources: dict[str, str]  # key -> "default", "centre" or "terminal"


def settings_rows(session: Session, centre_ids, terminal_ids) -> dict[tuple[str, int], ConfigSetting]:
    """Config rows of these centres and terminals, by ("centre"|"terminal", id)."""
    rows = session.scalars(select(ConfigSetting).where(or_(
        ConfigSetting.centre_id.in_(list(centre_ids)),
        ConfigSetting.terminal_id.in_(list(terminal_ids)))))
    return {(("centre", r.centre_id) if r.centre_id is not None else ("terminal", r.terminal_id)): r
            for r in rows}


def effective(centre_row: ConfigSetting | None, terminal_row: ConfigSetting | None) -> Effective:
    """Defaults <- centre <- terminal, with the version in force."""
    values = DEFAULTS.model_dump(exclude={"version"})
    sources = {key: "default" for key in values}
    version = 0
    for name, row in (("centre", centre_row), ("terminal", terminal_row)):
        if row is None:
            continue
        version = max(version, row.version)
        for key, value in json.loads(row.values_json).items():
            if key in values:
                values[key], sources[key] = value, name
    return Effective(contract.TerminalConfig(version=version, **values), sources)


def effective_for(session: Session, centre_id: int, terminal_id: int) -> Effective:
    rows = settings_rows(session, [centre_id], [terminal_id])
    return effective(rows.get(("centre", centre_id)), rows.get(("terminal", terminal_id)))


def save_settings(session: Session, values: dict, now: dt.datetime, staff_id: int | None, *,
                  centre_id: int | None = None, terminal_id: int | None = None) -> int:
    """Store the keys set for a centre or a terminal (replacing the earlier ones) under a
    new version, taken from the counter row (locked until commit); returns the version."""
    version = session.execute(update(ConfigCounter).where(ConfigCounter.id == 1)
                              .values(value=ConfigCounter.value + 1)
                              .returning(ConfigCounter.value)).scalar_one()
    where = (ConfigSetting.centre_id == centre_id if centre_id is not None
             else ConfigSetting.terminal_id == terminal_id)
    row = session.scalar(select(ConfigSetting).where(where))
    if row is None:
        row = ConfigSetting(centre_id=centre_id, terminal_id=terminal_id)
        session.add(row)
    row.values_json = json.dumps(values, ensure_ascii=False, sort_keys=True)
    row.version, row.updated_at, row.updated_by = version, now, staff_id
    session.flush()
    return version


def state_of(terminal: Terminal, health: TerminalHealth | None, interval_s: int,
             now: dt.datetime) -> str:
    """online / stale / offline from the age of the last heartbeat; never; suspended
    (disabled); revoked."""
    if terminal.revoked_at is not None:
        return "revoked"
    if terminal.disabled_at is not None:
        return "disabled"
    if health is None:
        return "never"
    age = (now - health.received_at).total_seconds()
    if age > OFFLINE_AFTER_INTERVALS * interval_s:
        return "offline"
    if age > STALE_AFTER_INTERVALS * interval_s:
        return "stale"
    return "online"


@dataclass
class TerminalView:
    """A terminal as the console shows it: reported health, state, configuration."""

    terminal: Terminal
    health: TerminalHealth | None
    state: str
    effective: Effective
    devices: dict[str, dict]

    @property
    def config_pending(self) -> bool:
        """The terminal runs another configuration than the current one (配置待生效)."""
        return self.health is not None and self.health.config_version != self.effective.config.version


def terminal_views(session: Session, terminals: list[Terminal], now: dt.datetime) -> list[TerminalView]:
    """Views of these terminals with three queries in all."""
    ids = [t.id for t in terminals]
    healths = {h.terminal_id: h for h in session.scalars(
        select(TerminalHealth).where(TerminalHealth.terminal_id.in_(ids)))} if ids else {}
    rows = settings_rows(session, {t.centre_id for t in terminals}, ids) if ids else {}
    views = []
    for t in terminals:
        eff = effective(rows.get(("centre", t.centre_id)), rows.get(("terminal", t.id)))
        health = healths.get(t.id)
        views.append(TerminalView(
            t, health, state_of(t, health, eff.config.heartbeat_interval_s, now), eff,
            json.loads(health.devices_json) if health else {}))
    return views
