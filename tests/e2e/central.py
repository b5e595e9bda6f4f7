"""A real central server in its own process, so a test can stop it (an outage) and
start it again on the same port and database."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CentralProcess:
    def __init__(self, data_dir: Path, database_url: str | None = None, password: str = "Admin-pass-1") -> None:
        self.data_dir = data_dir
        self.database_url = database_url or f"sqlite:///{data_dir / 'central.db'}"
        self.password = password
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = data_dir / "central.log"

    def start(self) -> "CentralProcess":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, KIOSK_CENTRAL_ADMIN_PASSWORD=self.password)
        exe = Path(sys.executable).with_name("kiosk-central")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "server_api.cli"]
        self.proc = subprocess.Popen(
            cmd + ["--host", "127.0.0.1", "--port", str(self.port), "--database-url",
                   self.database_url, "--data-dir", str(self.data_dir)],
            cwd=REPO, env=env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"central server exited: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError("central server did not answer /healthz within 30 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
