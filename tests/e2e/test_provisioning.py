"""kiosk-provision as a technician runs it: one-time token, the terminal's own key pair,
stored credentials, clear refusals, and provisioning again after staff revoked it."""
from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from provisioning.credentials import load
from server_api import signing
from server_api.client import CentralClient, CentralRejected


def provision_cli(*args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("kiosk-provision")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ))


def _key_traces(key_path: Path) -> list[str]:
    """Texts that would betray the private key if they appeared somewhere."""
    key = signing.read_private_key(key_path)
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    pem_body = "".join(key_path.read_text().splitlines()[1:-1])
    return [pem_body, base64.b64encode(raw).decode(), raw.hex()]


def test_provision_makes_a_key_pair_and_the_token_is_one_time(centre, tmp_path):
    data = tmp_path / "kiosk"
    done = provision_cli("--central", centre.central.url, "--token", centre.token,
                         "--data-dir", str(data), "--name", "大厅一号机")
    assert done.returncode == 0, done.stderr
    assert "终端已注册" in done.stdout
    creds_file = data / "terminal.json"
    assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600
    creds = load(creds_file)
    assert creds.centre_name == "城关社区矫正中心"
    assert creds.private_key_path.parent == data.resolve()
    assert stat.S_IMODE(creds.private_key_path.stat().st_mode) == 0o600
    assert creds.private_key_path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    stored = json.loads(creds_file.read_text())
    assert set(stored) == {"format", "central_url", "terminal_id", "centre_id", "centre_name",
                           "private_key_file"}
    assert "大厅一号机" in centre.console.get("/console/terminals").text
    assert centre.console.terminals()[0]["terminal-id"] == creds.terminal_id

    # Signed requests get in; unsigned ones or another key's are refused.
    client = CentralClient(creds.central_url, creds.terminal_id, creds.secret)
    assert client.roster().centre_id == centre.centre_id
    for bad, code in ((CentralClient(creds.central_url), "signature_missing"),
                      (CentralClient(creds.central_url, creds.terminal_id,
                                     signing.generate_private_key()), "signature_invalid")):
        with pytest.raises(CentralRejected) as err:
            bad.roster()
        assert (err.value.status, err.value.code) == (401, code)

    again = provision_cli("--central", centre.central.url, "--token", centre.token,
                          "--data-dir", str(data))
    assert again.returncode == 2 and "已注册" in again.stderr
    reused = provision_cli("--central", centre.central.url, "--token", centre.token,
                           "--data-dir", str(tmp_path / "other"), "--force")
    assert reused.returncode == 1 and "令牌无效、已使用或已过期" in reused.stderr
    assert not (tmp_path / "other").exists() or not any((tmp_path / "other").iterdir())

    # The private key never left the terminal: not in any output, nor the server's log.
    seen = done.stdout + done.stderr + again.stderr + reused.stderr + stored.__repr__() + \
        repr(creds) + repr(client.auth) + centre.central.log.read_text(errors="replace")
    for trace in _key_traces(creds.private_key_path):
        assert trace not in seen


def test_a_revoked_terminal_is_provisioned_again_with_a_new_key(centre, tmp_path):
    data = tmp_path / "kiosk"
    assert provision_cli("--central", centre.central.url, "--token", centre.token,
                         "--data-dir", str(data)).returncode == 0
    old = load(data / "terminal.json")
    old_public = signing.read_private_key(old.private_key_path).public_key()
    client = CentralClient(old.central_url, old.terminal_id, old.secret)
    assert client.roster().centre_id == centre.centre_id

    centre.console.revoke_terminal(old.terminal_id)
    with pytest.raises(CentralRejected) as err:
        client.roster()
    assert (err.value.status, err.value.code) == (401, "terminal_revoked")

    token = centre.console.create_token(centre.centre_id)
    done = provision_cli("--central", centre.central.url, "--token", token,
                         "--data-dir", str(data), "--force")
    assert done.returncode == 0, done.stderr
    new = load(data / "terminal.json")
    assert new.terminal_id != old.terminal_id
    assert not old.private_key_path.exists()  # the old key is gone
    # The credentials, and the content repository's trusted root (docs/CONTENT_UPDATES.md).
    assert sorted(p.name for p in data.iterdir()) == sorted(["content_tuf", "terminal.json",
                                                             new.private_key_path.name])
    assert sorted(p.name for p in (data / "content_tuf").iterdir()) == ["root.json"]
    assert stat.S_IMODE(new.private_key_path.stat().st_mode) == 0o600
    new_public = signing.read_private_key(new.private_key_path).public_key()
    assert signing.raw_public_key(new_public) != signing.raw_public_key(old_public)

    assert CentralClient(new.central_url, new.terminal_id, new.secret).roster().centre_id == \
        centre.centre_id
    with pytest.raises(CentralRejected) as err:
        client.roster()
    assert err.value.code == "terminal_revoked"
    rows = {t["terminal-id"]: t["revoked"] for t in centre.console.terminals()}
    assert rows == {old.terminal_id: "yes", new.terminal_id: "no"}


def test_unknown_token_and_unreachable_server_are_explained(centre, tmp_path):
    bad = provision_cli("--central", centre.central.url, "--token", "not-a-token",
                        "--data-dir", str(tmp_path / "k"))
    assert bad.returncode == 1 and "令牌无效" in bad.stderr
    gone = provision_cli("--central", "http://127.0.0.1:9", "--token", centre.token,
                         "--data-dir", str(tmp_path / "k"))
    assert gone.returncode == 1 and "无法连接中心服务器" in gone.stderr
    assert not (tmp_path / "k" / "terminal.json").exists()
    assert not list((tmp_path / "k").glob("*.pem"))


def test_old_shared_secret_credentials_ask_for_provisioning_again(centre, tmp_path):
    data = tmp_path / "kiosk"
    data.mkdir()
    (data / "terminal.json").write_text(json.dumps({
        "central_url": centre.central.url, "terminal_id": "t-0123456789abcdef",
        "secret": "an-old-bearer-secret", "centre_id": 1, "centre_name": "x"}))
    assert load(data / "terminal.json") is None
    done = provision_cli("--central", centre.central.url, "--token", centre.token,
                         "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    assert "旧版凭据" in done.stderr
    assert load(data / "terminal.json") is not None
