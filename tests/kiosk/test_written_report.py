"""思想汇报 at the kiosk: pages photographed through the camera device, or a recording
through the microphone device, kept sealed in the outbox until delivered.

The core's report side (``WrittenReportMixin``) runs over the file-fed camera and
microphone (devices/), a real SQLite store and the real page detection.
"""
from __future__ import annotations

import base64
import wave
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from devices.camera_file import FileCamera
from devices.microphone_file import FileMicrophone
from kiosk import outbox
from kiosk.errors import FlowError
from kiosk.flows import written_report
from kiosk.store import open_store
from kiosk.store.models import Outbox
from tests.kiosk.page_photos import no_page_photo, page_photo
from tests.kiosk.report_host import PERSON, ReportHost, show

def write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(samples.astype("<i2").tobytes())
    return path


@pytest.fixture
def host(tmp_path):
    store = open_store(tmp_path / "kiosk.db")
    cam_dir, mic_dir = tmp_path / "camera", tmp_path / "microphone"
    cam_dir.mkdir(), mic_dir.mkdir()
    # The kiosk's camera at 1280x960: a page must stay legible.
    camera = FileCamera(cam_dir, fps=0, max_width=1280)
    microphone = FileMicrophone(mic_dir)
    h = ReportHost(store, camera, microphone)
    h.cam_dir, h.mic_dir = cam_dir, mic_dir
    camera.open()
    yield h
    camera.close()
    microphone.close()
    store.close()


def raw_rows(store) -> list[Outbox]:
    with store.session() as s:
        return list(s.scalars(select(Outbox)))


def test_two_pages_are_kept_sealed_in_the_outbox(host):
    show(host.cam_dir, page_photo(angle_deg=10)[0])
    preview = host.report_scan_page()
    assert preview.ndim == 2 and preview.shape[0] > preview.shape[1]  # upright, grey
    assert host.report_keep_page() == 1  # 下一页
    show(host.cam_dir, page_photo(angle_deg=-18, seed=11)[0])
    host.report_scan_page()
    assert host.report_submit_pages() == 2  # 完成
    assert host.pokes == 1
    (item,) = outbox.pending(host.store)
    assert item.kind == "written_report" and item.person_id == PERSON
    pages = [base64.b64decode(p) for p in item.payload["pages_jpeg_b64"]]
    assert item.payload["form"] == "pages" and len(pages) == 2
    for jpeg in pages:
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_UNCHANGED)
        assert image.ndim == 2 and image.shape[0] > image.shape[1]
    # Encryption at rest: the stored row holds neither the JPEG bytes nor their base64.
    (raw,) = raw_rows(host.store)
    for jpeg in pages:
        assert jpeg[:64] not in raw.payload_sealed
        assert base64.b64encode(jpeg)[:64] not in raw.payload_sealed
    assert b"\xff\xd8\xff" not in raw.payload_sealed
    # The draft is gone once filed: the next report starts from page 1.
    assert host.report_page_count() == 0


def test_a_photo_without_paper_says_no_page_found_and_keeps_nothing(host):
    show(host.cam_dir, no_page_photo())
    with pytest.raises(FlowError) as err:
        host.report_scan_page()
    assert err.value.message_key == "report.error.no_page"  # 没有找到纸张
    with pytest.raises(FlowError) as err:
        host.report_submit_pages()
    assert err.value.message_key == "report.error.no_pages"
    assert raw_rows(host.store) == []


def test_retake_throws_the_previewed_page_away(host):
    show(host.cam_dir, page_photo()[0])
    host.report_scan_page()
    host.report_keep_page()
    host.report_scan_page()
    host.report_retake()  # 重拍
    host.report_scan_page()
    host.report_retake()
    assert host.report_submit_pages() == 1


def test_too_large_a_report_is_refused_whole(host, monkeypatch):
    """MAX_REPORT_BYTES: refused with its size in the message, nothing stored."""
    monkeypatch.setattr(written_report, "MAX_REPORT_BYTES", 40_000)
    show(host.cam_dir, page_photo()[0])
    host.report_scan_page()
    host.report_keep_page()
    host.report_scan_page()
    with pytest.raises(FlowError) as err:
        host.report_submit_pages()
    assert err.value.message_key == "report.error.too_large"
    assert raw_rows(host.store) == []
    assert host.report_page_count() == 1  # the first page is still there to send alone


def test_at_most_max_pages(host, monkeypatch):
    """MAX_PAGES: the eleventh photo is refused, the ten are kept."""
    monkeypatch.setattr(written_report, "MAX_PAGES", 2)
    show(host.cam_dir, page_photo()[0])
    for _ in range(2):
        host.report_scan_page()
        host.report_keep_page()
    with pytest.raises(FlowError) as err:
        host.report_scan_page()
    assert err.value.message_key == "report.error.too_many_pages"
    assert host.report_submit_pages() == 2


def test_the_draft_belongs_to_the_person_on_screen(host):
    show(host.cam_dir, page_photo()[0])
    host.report_scan_page()
    host.report_keep_page()
    host.report_discard()  # the session ended
    assert host.report_page_count() == 0
    host.person = None
    with pytest.raises(FlowError):
        host.report_scan_page()


def test_a_spoken_report_from_the_microphone(host, shared_data):
    voice = next((shared_data / "voices" / "en_3dspk_speaker1").glob("1.*"))
    (host.mic_dir / voice.name).write_bytes(voice.read_bytes())
    host.microphone.open()
    seconds = host.report_record(max_seconds=4.0)
    assert 3.9 <= seconds <= 4.0
    assert host.report_submit_audio() == seconds
    (item,) = outbox.pending(host.store)
    wav = base64.b64decode(item.payload["audio_wav_b64"])
    assert item.payload["form"] == "audio" and wav[:4] == b"RIFF"
    assert item.payload["seconds"] == pytest.approx(seconds, abs=0.01)
    (raw,) = raw_rows(host.store)
    assert wav[44:108] not in raw.payload_sealed and b"RIFF" not in raw.payload_sealed


def test_a_silent_recording_is_refused(host):
    write_wav(host.mic_dir / "silence.wav", np.zeros(16000 * 5, np.int16))
    host.microphone.open()
    with pytest.raises(FlowError) as err:
        host.report_record(max_seconds=4.0)
    assert err.value.message_key == "report.error.no_speech"
    with pytest.raises(FlowError) as err:
        host.report_submit_audio()
    assert err.value.message_key == "report.error.no_recording"
    assert raw_rows(host.store) == []


def test_a_missing_microphone_is_a_clear_error(host):
    with pytest.raises(FlowError) as err:  # never opened: the device's own message
        host.report_record(max_seconds=2.0)
    assert err.value.message_key.startswith("device.microphone.")


def test_large_reports_go_in_batches_the_server_accepts(host, monkeypatch):
    """outbox.BATCH_MAX_BYTES: a delivery batch stops before that many payload bytes, so
    queued reports never make one request body too large; the oldest row always goes."""
    show(host.cam_dir, page_photo()[0])
    for _ in range(3):
        host.report_scan_page()
        host.report_submit_pages()
    sizes = [len(r.payload_sealed) for r in raw_rows(host.store)]
    assert len(outbox.pending(host.store, max_bytes=10)) == 1
    assert len(outbox.pending(host.store, max_bytes=sizes[0] + sizes[1])) == 2
    assert len(outbox.pending(host.store)) == 3  # the default holds all three
    keys = [r.key for r in outbox.pending(host.store)]
    assert [r.key for r in outbox.pending(host.store, max_bytes=1)] == keys[:1]  # oldest first
