"""kiosk-provision as a technician runs it: one-time token, stored credentials, clear refusals."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.settings import KioskSettings
from provisioning.credentials import load
from server_api.client import CentralClient, CentralRejected


def provision_cli(*args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("kiosk-provision")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ))


def test_provision_stores_credentials_and_token_is_one_time(centre, tmp_path):
    data = tmp_path / "kiosk"
    done = provision_cli("--central", centre.central.url, "--token", centre.token,
                         "--data-dir", str(data), "--name", "大厅一号机")
    assert done.returncode == 0, done.stderr
    assert "终端已注册" in done.stdout
    creds_file = data / "terminal.json"
    assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600
    creds = load(creds_file)
    assert creds.centre_name == "城关社区矫正中心"
    assert "大厅一号机" in centre.console.get("/console/terminals").text
    assert centre.console.terminals()[0]["terminal-id"] == creds.terminal_id

    # The terminal's requests are authenticated; without or with wrong credentials: refused.
    client = CentralClient(creds.central_url, creds.terminal_id, creds.secret)
    assert client.roster().centre_id == centre.centre_id
    for bad in (CentralClient(creds.central_url),
                CentralClient(creds.central_url, creds.terminal_id, "wrong-secret")):
        with pytest.raises(CentralRejected) as err:
            bad.roster()
        assert err.value.status == 401

    again = provision_cli("--central", centre.central.url, "--token", centre.token,
                          "--data-dir", str(data))
    assert again.returncode == 2 and "已注册" in again.stderr
    reused = provision_cli("--central", centre.central.url, "--token", centre.token,
                           "--data-dir", str(tmp_path / "other"), "--force")
    assert reused.returncode == 1 and "令牌无效、已使用或已过期" in reused.stderr
    assert not (tmp_path / "other" / "terminal.json").exists()


def test_unknown_token_and_unreachable_server_are_explained(centre, tmp_path):
    bad = provision_cli("--central", centre.central.url, "--token", "not-a-token",
                        "--data-dir", str(tmp_path / "k"))
    assert bad.returncode == 1 and "令牌无效" in bad.stderr
    gone = provision_cli("--central", "http://127.0.0.1:9", "--token", centre.token,
                         "--data-dir", str(tmp_path / "k"))
    assert gone.returncode == 1 and "无法连接中心服务器" in gone.stderr
    assert not (tmp_path / "k" / "terminal.json").exists()
