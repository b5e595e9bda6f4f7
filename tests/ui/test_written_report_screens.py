"""The 思想汇报 screens in the real Kivy app under Xvfb, driven by touch, screenshots in
Chinese (test-output/screenshots/kiosk/written-report/): choose, photograph a page (no
paper first: 没有找到纸张), preview with 重拍 / 下一页 / 完成, two pages filed; then a
spoken report (too quiet, then recorded and handed in). The page detection is real.
"""
import cv2
import pytest

from tests.kiosk.page_photos import no_page_photo, page_photo
from tests.ui.harness import SCREENSHOTS, describe_failure, run_driver
from tests.ui.test_screens_render import KNOWN_FACE, _calls, _shot, fake_scenario

pytestmark = [pytest.mark.ui, pytest.mark.slow]


def report_walkthrough(cam, faces, photos) -> list:
    known = str(faces / KNOWN_FACE)
    page = lambda name: {"copy": str(photos / f"{name}.jpg"), "to": str(cam / f"{name}.jpg")}
    return [
        {"wait_screen": "idle"}, {"copy": known, "to": str(cam / "wen.jpg")},
        {"wait_screen": "menu", "timeout": 15}, {"clear_dir": str(cam)}, _shot("menu"),
        {"tap": "menu.report_choose"}, {"wait_screen": "report_choose"}, _shot("report_choose"),
        {"tap": "report_choose.pages"}, {"wait_screen": "report_capture"},
        {"wait_text": "第 1 页"}, page("table"), {"sleep": 0.5},
        {"tap": "report_capture.shoot"}, {"wait_text": "没有找到纸张"}, _shot("report_no_page"),
        page("page1"), {"sleep": 0.5}, _shot("report_capture"),
        {"tap": "report_capture.shoot"}, {"wait_screen": "report_preview"},
        {"wait_text": "第 1 页拍好了"}, _shot("report_preview_page1"),
        {"tap": "report_preview.retake"}, {"wait_screen": "report_capture"},
        {"tap": "report_capture.shoot"}, {"wait_screen": "report_preview"},
        {"tap": "report_preview.next"}, {"wait_screen": "report_capture"}, {"wait_text": "第 2 页"},
        page("page2"), {"sleep": 0.5}, {"tap": "report_capture.shoot"},
        {"wait_text": "第 2 页拍好了"}, _shot("report_preview_page2"),
        {"tap": "report_preview.finish"}, {"wait_screen": "report_done"},
        {"wait_text": "共 2 页"}, _shot("report_done_pages"),
        {"tap": "nav.home"}, {"wait_screen": "menu"},
        {"tap": "menu.report_choose"}, {"tap": "report_choose.audio"},
        {"wait_screen": "report_record"}, _shot("report_record"),
        {"tap": "report_record.start"}, {"wait_text": "正在录音"}, _shot("report_recording"),
        {"wait_text": "声音太小", "timeout": 10}, _shot("report_record_too_quiet"),
        {"tap": "report_record.start"}, {"wait_text": "正在录音"}, {"tap": "report_record.stop"},
        {"wait_text": "录好了，共 12 秒"}, _shot("report_recorded"),
        {"tap": "report_record.submit"}, {"wait_screen": "report_done"},
        {"wait_text": "共 12 秒"}, _shot("report_done_audio"),
        {"tap": "nav.home"}, {"wait_screen": "menu"}, {"tap": "menu.exit"}, {"wait_screen": "idle"},
    ]


def test_written_report_screens(tmp_path, shared_data):
    faces, cam, photos = shared_data / "faces", tmp_path / "cam", tmp_path / "photos"
    photos.mkdir()
    cv2.imwrite(str(photos / "table.jpg"), no_page_photo())
    cv2.imwrite(str(photos / "page1.jpg"), page_photo(angle_deg=12)[0])
    cv2.imwrite(str(photos / "page2.jpg"), page_photo(angle_deg=-15, seed=9)[0])
    shots = SCREENSHOTS / "written-report"
    scenario = fake_scenario(tmp_path, report_walkthrough(cam, faces, photos), shots,
                             report_record_errors=["report.error.too_quiet"],
                             report_record_delay=2.0)
    scenario["core_factory"] = "tests.ui.fake_report_core:FakeReportCore"
    result = run_driver(scenario, tmp_path)
    assert result["ok"] and result["exit_code"] == 0, describe_failure(result)
    calls = _calls(tmp_path)
    names = [c["call"] for c in calls]
    assert names.count("report_scan_page") == 3 and names.count("report_retake") == 1
    assert [c["pages"] for c in calls if c["call"] == "report_submit_pages"] == [2]
    assert [c["seconds"] for c in calls if c["call"] == "report_submit_audio"] == [12.0]
    assert len(list(shots.glob("*.png"))) >= 10


def english_report_tour(cam, faces, photos) -> list:
    """The same screens in English, where the texts are longest."""
    return [
        {"wait_screen": "idle"}, {"copy": str(faces / KNOWN_FACE), "to": str(cam / "wen.jpg")},
        {"wait_screen": "menu", "timeout": 15}, {"clear_dir": str(cam)}, {"sleep": 0.5},
        _shot("menu_en"), {"tap": "menu.report_choose"}, {"wait_screen": "report_choose"},
        _shot("report_choose_en"), {"tap": "report_choose.pages"},
        {"copy": str(photos / "page1.jpg"), "to": str(cam / "page1.jpg")}, {"sleep": 0.5},
        _shot("report_capture_en"), {"tap": "report_capture.shoot"},
        {"wait_screen": "report_preview"}, _shot("report_preview_en"),
        {"tap": "report_preview.finish"}, {"wait_screen": "report_done"},
        {"wait_text": "1 page"}, _shot("report_done_en"), {"tap": "nav.home"},
        {"tap": "menu.report_choose"}, {"tap": "report_choose.audio"},
        {"wait_screen": "report_record"}, _shot("report_record_en"),
        {"tap": "report_record.start"}, {"tap": "report_record.stop"},
        {"wait_text": "Recorded"}, _shot("report_recorded_en"),
        {"tap": "nav.back"}, {"wait_screen": "report_choose"}, {"tap": "nav.back"},
        {"wait_screen": "menu"}, {"tap": "menu.exit"}, {"wait_screen": "idle"},
    ]


def test_written_report_screens_in_english(tmp_path, shared_data):
    faces, cam, photos = shared_data / "faces", tmp_path / "cam", tmp_path / "photos"
    photos.mkdir()
    cv2.imwrite(str(photos / "page1.jpg"), page_photo(angle_deg=8)[0])
    scenario = fake_scenario(tmp_path, english_report_tour(cam, faces, photos),
                             SCREENSHOTS / "written-report-en", report_record_delay=1.0)
    scenario["core_factory"] = "tests.ui.fake_report_core:FakeReportCore"
    result = run_driver({**scenario, "language": "en"}, tmp_path)
    assert result["ok"] and result["exit_code"] == 0, describe_failure(result)
    calls = _calls(tmp_path)
    assert [c["pages"] for c in calls if c["call"] == "report_submit_pages"] == [1]
    assert not [c for c in calls if c["call"] == "report_submit_audio"]  # left without it
