"""A central server on loopback, a provisioned terminal, and lessons for the content tests."""
from __future__ import annotations

import datetime as dt
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

from content.updater import ContentUpdater
from kiosk.settings import KioskSettings
from provisioning.cli import provision
from provisioning.credentials import load
from server_api.client import CentralClient
from tests.staff_console import StaffConsole, start_server


class ShiftedClock:
    """The server's clock: the real time, shifted by the tests (to publish stale metadata)."""

    def __init__(self) -> None:
        self.shift = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc) + self.shift


@dataclass
class Central:
    base_url: str
    data_dir: Path
    admin: StaffConsole
    centre_id: int
    clock: ShiftedClock

    def lesson_file(self, lesson_sha: str) -> Path:
        return next((self.data_dir / "lessons").glob(f"{lesson_sha}.*"))


def start_central(tmp_path: Path, database_url: str | None = None):
    clock = ShiftedClock()
    data_dir = tmp_path / "central"
    url, password, stop = start_server(database_url or f"sqlite:///{tmp_path / 'central.db'}",
                                       data_dir, clock=clock)
    admin = StaffConsole(url)
    admin.login("admin", password)
    centre = admin.create_centre("城关司法所")
    return Central(url, data_dir, admin, centre, clock), stop


def terminal(central: Central, folder: Path, base_url: str | None = None) -> ContentUpdater:
    """Provision a terminal as ``kiosk-provision`` does (root fetched at enrolment); its
    content updater, talking to ``base_url`` (e.g. a proxy) or the server itself."""
    settings = KioskSettings(data_dir=folder)
    provision(central.base_url, central.admin.create_token(central.centre_id), settings, "终端")
    creds = load(settings.credentials_path)
    client = CentralClient(base_url or creds.central_url, creds.terminal_id, creds.secret)
    return ContentUpdater(settings.data_dir, client, creds.centre_id)


def noisy_video(path: Path, frames: int = 30, size: tuple[int, int] = (320, 240), seed: int = 0) -> Path:
    """A real MP4 of random noise (it compresses badly, so it is big for its length)."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, size)
    assert writer.isOpened()
    for _ in range(frames):
        writer.write(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    writer.release()
    return path


class CuttingProxy:
    """A loopback TCP proxy that breaks the first connection carrying more than
    ``cut_after`` bytes back to the client: a download cut halfway, for real."""

    def __init__(self, target_url: str, cut_after: int) -> None:
        host, port = target_url.split("//")[1].split(":")
        self.target = (host, int(port))
        self.cut_after, self.cuts = cut_after, 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, to_client: bool) -> None:
        sent = 0
        try:
            while data := src.recv(65536):
                if to_client and self.cuts == 0 and sent + len(data) > self.cut_after:
                    dst.sendall(data[: self.cut_after - sent])
                    self.cuts += 1
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.sock.close()
