"""The ``kiosk-central`` command: serve, migrate, issue-token."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from server_api.cli import build_parser, main, settings_from
from server_api.server.db import Database
from server_api.server.migrate import current_revision, head_revision

from tests.server.central_helpers import TerminalClient, enrol
from tests.staff_console import start_server

ROOT = Path(__file__).resolve().parents[2]


def _command() -> list[str]:
    script = Path(sys.executable).with_name("kiosk-central")
    return [str(script)] if script.exists() else [sys.executable, "-m", "server_api.cli"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_CENTRAL_")}
    env.update(extra)
    return env


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*_command(), *args], cwd=cwd, env=_env(), capture_output=True,
                          text=True, timeout=60)


def test_options_override_the_environment(monkeypatch, tmp_path):
    for name in ("KIOSK_CENTRAL_DATABASE_URL", "KIOSK_CENTRAL_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KIOSK_CENTRAL_PORT", "9100")
    monkeypatch.setenv("KIOSK_CENTRAL_DATA_DIR", str(tmp_path / "env-data"))
    settings = settings_from(build_parser().parse_args(["--port", "9200"]))
    assert settings.port == 9200 and settings.data_dir == tmp_path / "env-data"
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path / 'env-data' / 'central.db'}"
    given = settings_from(build_parser().parse_args(
        ["--database-url", "sqlite:///x.db", "migrate"]))
    assert given.database_url == "sqlite:///x.db"  # not reset by the subcommand
    sub = settings_from(build_parser().parse_args(["issue-token", "--centre", "A",
                                                   "--data-dir", "/srv/c"]))
    assert sub.data_dir == Path("/srv/c") and sub.port == 9100


def test_migrate_brings_an_empty_database_to_head(database_url):
    assert main(["migrate", "--database-url", database_url]) == 0
    db = Database(database_url)
    try:
        assert current_revision(db.engine) == head_revision()
    finally:
        db.dispose()


def test_issue_token_prints_only_a_working_token(database_url, tmp_path):
    issued = _run("issue-token", "--centre", "城关司法所", "--database-url", database_url,
                  cwd=tmp_path)
    assert issued.returncode == 0, issued.stderr
    lines = issued.stdout.splitlines()
    assert len(lines) == 1 and len(lines[0]) >= 40

    base_url, _password, stop = start_server(database_url, tmp_path / "data")
    try:
        answer = enrol(base_url, lines[0])
        assert answer.status_code == 200 and answer.json()["centre_name"] == "城关司法所"
        terminal = TerminalClient(base_url, answer.json()["terminal_id"], answer.json()["secret"],
                                  answer.json()["centre_id"])
        assert terminal.get("/terminal/roster").json()["persons"] == []
        assert enrol(base_url, lines[0]).status_code == 401  # one time only
    finally:
        stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_serve_with_defaults_creates_the_data_folder_and_the_first_admin(tmp_path):
    port = _free_port()
    process = subprocess.Popen([*_command(), "--port", str(port)], cwd=tmp_path, env=_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stderr.read()
            try:
                health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert health.json() == {"status": "ok", "database": "ok"}
        data_dir = tmp_path / "data" / "central"
        assert (data_dir / "central.db").is_file()
        password = (data_dir / "initial-admin-password.txt").read_text().strip()
    finally:
        process.terminate()
        out, err = process.communicate(timeout=20)
    assert out.count(password) == 1
    assert password not in err
    shutil.rmtree(tmp_path / "data")


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
def test_serve_with_several_workers_shares_one_database(database_url, tmp_path):
    """``--workers 2``: migrated and seeded once, two processes answer, a terminal's
    signed requests (and their nonces) work whichever process takes them."""
    port = _free_port()
    process = subprocess.Popen(
        [*_command(), "--port", str(port), "--workers", "2", "--database-url", database_url,
         "--data-dir", str(tmp_path / "data")], cwd=tmp_path, env=_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read()
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        workers = [pid for pid in _children(process.pid)
                   if "server_api" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                   or "multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")]
        assert len(workers) >= 2
        issued = _run("issue-token", "--centre", "城关司法所", "--database-url", database_url,
                      cwd=tmp_path)
        answer = enrol(f"http://127.0.0.1:{port}", issued.stdout.strip())
        assert answer.status_code == 200, answer.text
        terminal = answer.terminal()
        for _ in range(20):  # fresh connections: the requests spread over the workers
            terminal.http.close()
            assert terminal.get("/terminal/roster").status_code == 200
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    password = (tmp_path / "data" / "initial-admin-password.txt").read_text().strip()
    assert out.count(password) == 1  # the first admin is made once, by the parent
