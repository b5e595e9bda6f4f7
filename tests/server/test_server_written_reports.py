"""思想汇报 end to end: kiosk store -> outbox -> signed sync -> central server -> console.

Runs on SQLite and PostgreSQL. The kiosk side is the real report code over the file
camera and microphone, the real outbox and ``kiosk.sync``; the server is the real app
on loopback. Checked: nothing is lost while the server is unreachable, the pages and
the recording are encrypted at rest on both sides, staff of the person's centre see and
hear them (each read audited), staff of another centre get nothing, and oversized or
malformed reports are refused with a clear code.
"""
from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from devices.camera_file import FileCamera
from devices.microphone_file import FileMicrophone
from kiosk import outbox
from kiosk.store import open_store
from kiosk.sync import Syncer
from server_api.client import CentralClient
from tests.kiosk.page_photos import page_photo
from tests.kiosk.report_host import ReportHost, show
from tests.server.central_helpers import b64, enrol, event
from tests.server.module_server import DATABASES, module_database
from tests.staff_console import ConsoleError, StaffConsole, make_id_number, start_server

PASSWORD = "password-123456"
NAME_A, NAME_B = "王小明", "赵大海"
# KIOSK_CENTRAL_MAX_REPORT_BYTES for this server: small, so an oversized report is cheap.
SERVER_CAP = 400_000


class World:
    pass


@pytest.fixture(scope="module", params=DATABASES)
def world(request, tmp_path_factory):
    with module_database(request.param, tmp_path_factory) as database_url:
        data_dir = tmp_path_factory.mktemp("central")
        old = os.environ.get("KIOSK_CENTRAL_MAX_REPORT_BYTES")
        os.environ["KIOSK_CENTRAL_MAX_REPORT_BYTES"] = str(SERVER_CAP)
        try:
            base_url, password, stop = start_server(database_url, data_dir)
        finally:
            if old is None:
                os.environ.pop("KIOSK_CENTRAL_MAX_REPORT_BYTES")
            else:
                os.environ["KIOSK_CENTRAL_MAX_REPORT_BYTES"] = old
        try:
            w = World()
            w.base_url, w.data_dir = base_url, Path(data_dir)
            w.admin = StaffConsole(base_url)
            w.admin.login("admin", password)
            centre_a = w.admin.create_centre("城关司法所")
            centre_b = w.admin.create_centre("河西司法所")
            w.admin.create_staff("staff_a", PASSWORD, "staff", centre_a)
            w.admin.create_staff("staff_b", PASSWORD, "staff", centre_b)
            w.person_a = w.admin.create_person(centre_a, NAME_A, make_id_number(31), "缓刑")
            w.admin.create_person(centre_b, NAME_B, make_id_number(32), "假释")
            answer = enrol(base_url, w.admin.create_token(centre_a), "城关一号机")
            answer.raise_for_status()
            data = answer.json()
            w.terminal = answer.terminal()
            w.client = CentralClient(base_url, data["terminal_id"], data["secret"], timeout=10)
            # The same terminal with the centre out of reach (nothing listens on port 9).
            w.unreachable = CentralClient("http://127.0.0.1:9", data["terminal_id"],
                                          data["secret"], timeout=1)
            w.staff_a, w.staff_b = StaffConsole(base_url), StaffConsole(base_url)
            w.staff_a.login("staff_a", PASSWORD)
            w.staff_b.login("staff_b", PASSWORD)
            yield w
        finally:
            stop()


@pytest.fixture
def kiosk(world, tmp_path):
    store = open_store(tmp_path / "kiosk.db")
    cam_dir, mic_dir = tmp_path / "camera", tmp_path / "microphone"
    cam_dir.mkdir(), mic_dir.mkdir()
    camera = FileCamera(cam_dir, fps=0, max_width=1280)
    camera.open()
    host = ReportHost(store, camera, FileMicrophone(mic_dir), person_id=world.person_a)
    host.cam_dir, host.mic_dir = cam_dir, mic_dir
    yield host
    camera.close()
    host.microphone.close()
    store.close()


def sealed_files(world) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in (world.data_dir / "reports").rglob("*.sealed")}


def newest_report(console: StaffConsole, person_id: int) -> dict:
    rows = [r for r in console.rows("/console/reports") if r["person-id"] == str(person_id)]
    return rows[0]


def test_photographed_pages_reach_staff_even_after_an_outage(world, kiosk):
    show(kiosk.cam_dir, page_photo(angle_deg=14)[0])
    kiosk.report_scan_page()
    kiosk.report_keep_page()
    show(kiosk.cam_dir, page_photo(angle_deg=-9, seed=5)[0])
    kiosk.report_scan_page()
    assert kiosk.report_submit_pages() == 2
    (item,) = outbox.pending(kiosk.store)
    pages = [base64.b64decode(p) for p in item.payload["pages_jpeg_b64"]]

    # The centre is unreachable: the report waits in the outbox, nothing lost.
    offline = Syncer(kiosk.store, world.unreachable,
                     kiosk.clock)
    assert offline.run_once() is False
    assert outbox.depth(kiosk.store) == 1
    before = sealed_files(world)

    online = Syncer(kiosk.store, world.client, kiosk.clock)
    assert online.run_once() is True
    assert outbox.depth(kiosk.store) == 0 and online.status.delivered == 1

    # Encrypted at rest on the server: new files, none holding a page's bytes.
    new = {p: b for p, b in sealed_files(world).items() if p not in before}
    assert len(new) == 2
    for data in new.values():
        assert not data.startswith(b"\xff\xd8") and b"JFIF" not in data
        for page in pages:
            assert page[:64] not in data and page[-64:] not in data

    # Staff of the person's centre: listed unread, opened, each page exactly as taken.
    row = newest_report(world.staff_a, world.person_a)
    assert row["form"] == "pages" and row["pages"] == "2" and row["read"] == "no"
    html = world.staff_a.get(f"/console/reports/{row['id']}").text
    assert NAME_A in html and "第 1 页，共 2 页" in html
    for n, page in enumerate(pages):
        answer = world.staff_a.session.get(
            f"{world.base_url}/console/reports/{row['id']}/files/{n}", timeout=10)
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
        assert answer.content == page
    assert newest_report(world.staff_a, world.person_a)["read"] == "yes"
    # Every read is in the audit log (Art. 61).
    audit = world.admin.rows("/console/audit")
    targets = [(a["action"], a["target"]) for a in audit]
    assert ("written_report_view", f"written_report:{row['id']}") in targets
    assert targets.count(("written_report_file_view", f"written_report:{row['id']}")) == 2

    # Staff of another centre: not listed, not openable, no file.
    assert NAME_A not in world.staff_b.get("/console/reports").text
    for path in (f"/console/reports/{row['id']}", f"/console/reports/{row['id']}/files/0"):
        with pytest.raises(ConsoleError) as err:
            world.staff_b.get(path)
        assert err.value.status == 404

    # Sent again (a lost answer): stored once.
    again = world.terminal.post_events(event("written_report", world.person_a, key=item.key,
                                             **item.payload)).json()["results"]
    assert again[0]["status"] == "duplicate"


def test_a_spoken_report_is_played_back_to_staff(world, kiosk, shared_data):
    voice = next((shared_data / "voices" / "en_3dspk_speaker2").glob("1.*"))
    (kiosk.mic_dir / voice.name).write_bytes(voice.read_bytes())
    kiosk.microphone.open()
    seconds = kiosk.report_record(max_seconds=3.0)
    kiosk.report_submit_audio()
    (item,) = outbox.pending(kiosk.store)
    wav = base64.b64decode(item.payload["audio_wav_b64"])
    assert Syncer(kiosk.store, world.client, kiosk.clock).run_once() is True
    row = newest_report(world.staff_a, world.person_a)
    assert row["form"] == "audio"
    html = world.staff_a.get(f"/console/reports/{row['id']}").text
    assert "<audio" in html and f"{seconds:.0f} 秒" in html
    answer = world.staff_a.session.get(
        f"{world.base_url}/console/reports/{row['id']}/files/0", timeout=10)
    assert answer.headers["content-type"] == "audio/wav" and answer.content == wav
    for data in sealed_files(world).values():
        assert b"RIFF" not in data and wav[1000:1064] not in data


def test_oversized_and_malformed_reports_are_refused_with_a_code(world):
    """KIOSK_CENTRAL_MAX_REPORT_BYTES: a report over the cap is rejected whole."""
    big = b"\xff\xd8\xff" + os.urandom(SERVER_CAP // 2)
    listed = len(world.admin.rows("/console/reports"))
    results = world.terminal.post_events(
        event("written_report", world.person_a, form="pages",
              pages_jpeg_b64=[b64(big), b64(big)]),
        event("written_report", world.person_a, form="pages",
              pages_jpeg_b64=[b64(b"GIF89a not a page")]),
        event("written_report", world.person_a, form="audio",
              pages_jpeg_b64=[b64(big)])).json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 3
    assert [r["code"] for r in results] == ["payload_too_large", "invalid_event_payload",
                                            "invalid_event_payload"]
    assert len(world.admin.rows("/console/reports")) == listed  # nothing half stored
