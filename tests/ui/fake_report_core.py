"""``FakeCore`` with the written-report side (思想汇报), for the UI tests.

Pages are found by the REAL page detection (``kiosk.flows.written_report.scan_page``)
in the fake camera's newest image; a recording is pretended (``report_audio_seconds``
in the settings, default 12.0, after ``report_record_delay`` seconds or a stop).
Every filing is logged (``report_submit_pages`` with the page count, and so on).
"""
import threading

from kiosk.errors import FlowError
from kiosk.flows import written_report
from tests.ui.fake_core import FakeCore


class FakeReportCore(FakeCore):
    def __post_init__(self):
        super().__post_init__()
        self._pages, self._pending, self._clip = [], None, None
        self._stop = threading.Event()

    def report_begin(self):
        self._pages, self._pending, self._clip = [], None, None
        self._log("report_begin")

    def report_discard(self):
        self.report_begin()

    def end_session(self):
        self._pages, self._pending, self._clip = [], None, None
        super().end_session()

    def report_page_count(self):
        return len(self._pages)

    def report_scan_page(self):
        page = written_report.scan_page(self.camera_frame())
        self._pending = page
        self._log("report_scan_page", size=list(page.image.shape))
        return page.image

    def report_retake(self):
        self._pending = None
        self._log("report_retake")

    def report_keep_page(self):
        if self._pending is not None:
            self._pages.append(self._pending)
            self._pending = None
        return len(self._pages)

    def report_submit_pages(self):
        self.report_keep_page()
        count = len(self._pages)
        written_report.check_pages([p.jpeg for p in self._pages])
        self._log("report_submit_pages", pages=count)
        self._pages = []
        return count

    def report_record(self, max_seconds=written_report.MAX_AUDIO_SECONDS):
        self._stop.clear()
        self._stop.wait(float(self.settings.get("report_record_delay", 1.5)))
        error = self.settings.get("report_record_errors", [])
        if error:
            raise FlowError(error.pop(0))
        self._clip = float(self.settings.get("report_audio_seconds", 12.0))
        return self._clip

    def report_stop_recording(self):
        self._stop.set()

    def report_submit_audio(self):
        if self._clip is None:
            raise FlowError("report.error.no_recording")
        seconds, self._clip = self._clip, None
        self._log("report_submit_audio", seconds=seconds)
        return seconds
