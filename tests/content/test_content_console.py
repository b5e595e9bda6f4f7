"""Staff see each terminal's real content version and download progress (heartbeat →
terminals page), and the trusted root reaches the terminal at provisioning."""
from __future__ import annotations

import datetime as dt
import threading

import pytest

from content.agent import ContentAgent
from kiosk.settings import KioskSettings
from provisioning.cli import provision
from provisioning.content_root import check_root
from provisioning.credentials import load
from server_api.client import CentralClient
from tests.content.helpers import CuttingProxy, noisy_video, terminal
from tests.kiosk.fleet_fakes import FixedClock, open_core


def _console_content(central) -> dict[str, str]:
    page = central.admin.get("/console/terminals").text
    start = page.index('class="content-state"')
    tag = page[page.rindex("<span", 0, start):page.index(">", start)]
    return dict(part.split("=", 1) for part in
                (p.replace('"', "") for p in tag.split() if p.startswith("data-content-")))


def test_the_terminals_page_shows_the_download_and_then_the_version(central, tmp_path):
    video = noisy_video(tmp_path / "a.mp4", seed=5, frames=40)
    size = video.stat().st_size
    central.admin.upload_lesson("第一课", video)
    folder = tmp_path / "kiosk"
    provision(central.base_url, central.admin.create_token(central.centre_id),
              KioskSettings(data_dir=folder), "一号机")
    creds = load(KioskSettings(data_dir=folder).credentials_path)
    proxy = CuttingProxy(central.base_url, cut_after=size // 2)
    client = CentralClient(proxy.url, creds.terminal_id, creds.secret)
    core = open_core(folder, client, FixedClock(dt.datetime.now(dt.timezone.utc)))
    try:
        core.content_updater.update_once()  # cut halfway
        assert core.fleet.beat_once()
        shown = _console_content(central)
        assert shown["data-content-error"] == "offline" and shown["data-content-version"] == ""
        assert 0 < int(shown["data-content-done"]) < int(shown["data-content-total"])
        assert "正在下载" in central.admin.get("/console/terminals").text

        core.content_updater.update_once()  # resumed and switched in
        assert core.fleet.beat_once()
        shown = _console_content(central)
        assert shown["data-content-version"] == "v2" and shown["data-content-error"] == ""
        assert shown["data-content-done"] == shown["data-content-total"]
    finally:
        core.store.close()
        proxy.close()


def test_provisioning_installs_the_servers_root_or_a_pinned_one(central, tmp_path):
    root = (central.data_dir / "tuf" / "metadata" / "root.json").read_bytes()
    settings = KioskSettings(data_dir=tmp_path / "fetched")
    provision(central.base_url, central.admin.create_token(central.centre_id), settings, "一号机")
    assert (settings.data_dir / "content_tuf" / "root.json").read_bytes() == root

    pinned = tmp_path / "root.json"
    pinned.write_bytes(root)
    settings = KioskSettings(data_dir=tmp_path / "pinned")
    provision(central.base_url, central.admin.create_token(central.centre_id), settings, "二号机",
              content_root=pinned)
    assert (settings.data_dir / "content_tuf" / "root.json").read_bytes() == root


def test_a_forged_root_is_refused_before_enrolment(central, tmp_path):
    forged = bytearray((central.data_dir / "tuf" / "metadata" / "root.json").read_bytes())
    forged[forged.index(b'"expires"') + 13] ^= 1  # one digit of the expiry year changed
    with pytest.raises(ValueError, match="signed"):
        check_root(bytes(forged))
    bad = tmp_path / "root.json"
    bad.write_bytes(bytes(forged))
    settings = KioskSettings(data_dir=tmp_path / "kiosk")
    token = central.admin.create_token(central.centre_id)
    with pytest.raises(ValueError):
        provision(central.base_url, token, settings, "一号机", content_root=bad)
    assert load(settings.credentials_path) is None  # nothing written, token not used


def test_the_content_thread_updates_and_asks_for_a_heartbeat(central, tmp_path):
    video = noisy_video(tmp_path / "a.mp4", seed=6)
    central.admin.upload_lesson("第一课", video)
    kiosk = terminal(central, tmp_path / "kiosk")
    changed = threading.Event()
    agent = ContentAgent(kiosk, interval_s=60, on_change=changed.set)
    agent.start()
    try:
        assert changed.wait(30) and kiosk.status.version == "v2"
    finally:
        agent.stop()
