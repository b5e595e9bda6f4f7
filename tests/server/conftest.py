"""Fixtures of the central-server tests: a real server on SQLite and on PostgreSQL.

Every test that takes ``server`` runs twice: on a fresh SQLite file and on a fresh
PostgreSQL database (skipped when PostgreSQL is not reachable).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # so that ``tests.staff_console`` imports under any runner
    sys.path.insert(0, str(ROOT))

from tests.server.central_helpers import TerminalClient, enrol, write_video  # noqa: E402
from tests.staff_console import (  # noqa: E402
    PG_UNREACHABLE, StaffConsole, make_id_number, postgres_available, postgres_database,
    start_server,
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'central.db'}"
        return
    if not postgres_available():
        pytest.skip(PG_UNREACHABLE)
    with postgres_database() as url:
        yield url


@dataclass
class Server:
    base_url: str
    admin_password: str
    data_dir: Path
    database_url: str


@pytest.fixture
def server(database_url, tmp_path):
    data_dir = tmp_path / "data"
    base_url, password, stop = start_server(database_url, data_dir)
    try:
        yield Server(base_url, password, data_dir, database_url)
    finally:
        stop()


@pytest.fixture
def admin(server) -> StaffConsole:
    console = StaffConsole(server.base_url)
    console.login("admin", server.admin_password)
    return console


@dataclass
class World:
    """Two centres, a person in each, and one enrolled terminal in centre A."""

    server: Server
    admin: StaffConsole
    centre_a: int
    centre_b: int
    person_a: int
    person_b: int
    terminal: TerminalClient


@pytest.fixture
def world(server, admin) -> World:
    centre_a = admin.create_centre("城关司法所")
    centre_b = admin.create_centre("河西司法所")
    person_a = admin.create_person(centre_a, "张三", make_id_number(1), "缓刑", "每周一到司法所报到")
    person_b = admin.create_person(centre_b, "李四", make_id_number(2), "假释", "每月报到两次")
    answer = enrol(server.base_url, admin.create_token(centre_a)).json()
    terminal = TerminalClient(server.base_url, answer["terminal_id"], answer["secret"],
                              answer["centre_id"])
    return World(server, admin, centre_a, centre_b, person_a, person_b, terminal)


@pytest.fixture
def video_file(tmp_path) -> Path:
    return write_video(tmp_path / "lesson.mp4")
