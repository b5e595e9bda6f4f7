"""Health, OpenAPI, the error shape, migrations, first start."""
from __future__ import annotations

import json
import re
import sqlite3
import stat
from pathlib import Path

import pytest
import requests
from sqlalchemy import inspect

from server_api import contract
from server_api.server.db import Database
from server_api.server.i18n import LOCALE_DIR, catalogue
from server_api.server.migrate import current_revision, head_revision, upgrade_to_head

from tests.staff_console import start_server

CONTRACT_PATHS = {
    ("post", "/api/v1/terminals/enrol"),
    ("get", "/api/v1/terminal/roster"),
    ("post", "/api/v1/terminal/events"),
    ("get", "/api/v1/terminal/persons/{person_id}/leaves"),
    ("get", "/api/v1/terminal/persons/{person_id}/lessons"),
    ("get", "/api/v1/terminal/lessons/{lesson_id}/content"),
    ("get", "/healthz"),
}


def test_healthz_and_openapi(server):
    health = requests.get(server.base_url + "/healthz", timeout=5)
    assert health.status_code == 200
    assert contract.Health.model_validate(health.json()) == contract.Health(status="ok", database="ok")

    spec = requests.get(server.base_url + "/openapi.json", timeout=5).json()
    served = {(method, path) for path, ops in spec["paths"].items() for method in ops}
    assert CONTRACT_PATHS <= served
    assert not any(path.startswith("/console") for _m, path in served)
    roster = spec["paths"]["/api/v1/terminal/roster"]["get"]
    assert roster["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/RosterResponse")


def test_errors_are_json_with_a_stable_code(server):
    missing = requests.get(server.base_url + "/api/v1/nothing-here", timeout=5)
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "Not Found"}}

    invalid = requests.post(server.base_url + "/api/v1/terminals/enrol", json={"name": "x"}, timeout=5)
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "validation_error"
    assert "token" in invalid.json()["error"]["message"]

    not_json = requests.post(server.base_url + "/api/v1/terminals/enrol", data=b"{oops",
                             headers={"Content-Type": "application/json"}, timeout=5)
    assert not_json.status_code == 422
    assert not_json.json()["error"]["code"] == "validation_error"

    wrong_method = requests.delete(server.base_url + "/healthz", timeout=5)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


def test_migrations_reach_head_and_are_idempotent(database_url, tmp_path):
    db = Database(database_url)
    try:
        upgrade_to_head(db.engine)
        upgrade_to_head(db.engine)  # a second start changes nothing
        assert current_revision(db.engine) == head_revision()
        tables = set(inspect(db.engine).get_table_names())
        assert {"centres", "persons", "terminals", "events", "checkins", "leaves", "lessons",
                "lesson_assignments", "lesson_progress", "audit_log"} <= tables
        uniques = inspect(db.engine).get_unique_constraints("events")
        assert any(set(u["column_names"]) == {"terminal_id", "idempotency_key"} for u in uniques)
    finally:
        db.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path):
    db_file = tmp_path / "central.db"
    base_url, _password, stop = start_server(f"sqlite:///{db_file}", tmp_path / "data")
    try:
        requests.get(base_url + "/healthz", timeout=5)
        with sqlite3.connect(db_file) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        stop()


def test_first_start_creates_admin_with_a_private_password_file(tmp_path, capsys):
    from server_api.server.app import create_app
    from server_api.server.settings import CentralSettings

    data_dir = tmp_path / "data"
    url = f"sqlite:///{tmp_path / 'central.db'}"
    create_app(url, data_dir, settings=CentralSettings(admin_password=None))
    printed = capsys.readouterr().out
    password_file = data_dir / "initial-admin-password.txt"
    password = password_file.read_text().strip()
    assert len(password) >= 12 and password in printed
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600

    create_app(url, data_dir, settings=CentralSettings(admin_password=None))  # second start
    assert password not in capsys.readouterr().out
    assert password_file.read_text().strip() == password


def test_catalogues_cover_every_text_of_the_templates():
    zh, en = catalogue("zh_CN"), catalogue("en")
    assert zh.keys() == en.keys()
    assert all(v.strip() for v in list(zh.values()) + list(en.values()))
    server_dir = Path(LOCALE_DIR).parent
    used = set()
    for template in (server_dir / "templates").glob("*.html"):
        used |= set(re.findall(r"t\('([a-z_]+\.[a-z_.]+)'", template.read_text(encoding="utf-8")))
    for module in server_dir.rglob("*.py"):
        keys = re.findall(r'"((?:error|notice)\.[a-z_]+)"', module.read_text(encoding="utf-8"))
        used |= {k for k in keys if k != "error.html"}
    assert used
    # A dynamic key ('fleet.device.' ~ name) is a family: checked member by member below.
    families = {k for k in used if k.endswith(".")}
    assert used - families - zh.keys() == set()
    assert all(any(k.startswith(f) for k in zh) for f in families), families
    from server_api.server.console.fleet_forms import LANGUAGE_CHOICES
    from server_api.server.fleet import CONFIG_KEYS, STATES
    from server_api.server.fleet_models import COMMAND_DONE, COMMAND_FAILED, COMMAND_OPEN
    fleet_keys = ([f"command.{k.value}" for k in contract.CommandKind]
                  + [f"fleet.device.{d}" for d in contract.DEVICE_NAMES]
                  + [f"fleet.device_state.{s}" for s in ("unavailable", "error")]
                  + [f"fleet.state.{s}" for s in STATES]
                  + [f"fleet.command_status.{s}" for s in (*COMMAND_OPEN, COMMAND_DONE, COMMAND_FAILED)]
                  + [f"config.{k}" for k in CONFIG_KEYS] + [f"config.hint.{k}" for k in CONFIG_KEYS]
                  + [f"config.languages.{c}" for c in LANGUAGE_CHOICES]
                  + [f"config.source.{s}" for s in ("default", "centre", "terminal")])
    assert set(fleet_keys) - zh.keys() == set()
    for kind in contract.CaseType:
        assert f"case_type.{kind.name}" in zh
    for status in contract.LeaveStatus:
        assert f"leave_status.{status.value}" in zh


@pytest.mark.parametrize("number, ok", [
    ("11010519491231002X", True),
    ("11010519491231002x", True),
    ("110105194912310021", False),   # wrong check character
    ("11010519491331002X", False),   # month 13
    ("1101051949123100", False),     # too short
    ("", False),
])
def test_resident_id_numbers_are_checked(number, ok):
    from server_api.server.validation import FormError, check_id_number

    if ok:
        assert check_id_number(number) == number.upper()
    else:
        with pytest.raises(FormError):
            check_id_number(number)
