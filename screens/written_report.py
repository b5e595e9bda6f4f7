"""思想汇报: choose photo or voice, photograph each page (preview: 重拍 / 下一页 / 完成),
or record a spoken report; then the confirmation. Every rule is the core's
(``report_*`` methods); these screens only show its results."""
from kivy.graphics.texture import Texture
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image

from kiosk.flows.written_report import MAX_AUDIO_SECONDS
from screens import theme
from screens.base import KioskScreen
from screens.preview import CameraPreview
from screens.tasks import call_safely, run_task
from screens.widgets import KButton, KLabel, Panel


def grey_texture(image):
    """A Kivy texture of a grey uint8 page (textures start at the bottom row)."""
    height, width = image.shape[:2]
    texture = Texture.create(size=(width, height), colorfmt="luminance")
    texture.blit_buffer(image[::-1].tobytes(), colorfmt="luminance", bufferfmt="ubyte")
    return texture


class PagePreview(CameraPreview):
    """The live camera, not mirrored: the person must see their page the right way round."""

    def show(self, frame) -> None:
        super().show(None if frame is None else frame[:, ::-1])  # undo the mirror


class ReportChooseScreen(KioskScreen):
    name = "report_choose"
    title_key = "ui.report_choose.title"
    prompt_key = "ui.report_choose.prompt"

    def build_body(self):
        self.body.add_widget(KLabel(tr_key=self.prompt_key, size_hint_y=0.35,
                                    kiosk_id="report_choose.info"))
        grid = GridLayout(cols=2, spacing=theme.SPACING * 2,
                          padding=(theme.PAD * 2, 0, theme.PAD * 2, theme.PAD))
        for key, target in (("ui.report_choose.pages", "pages"), ("ui.report_choose.audio", "audio")):
            grid.add_widget(KButton(tr_key=key, style="primary", bold=True, font_size=theme.FONT_HUGE,
                                    size_hint_y=1,
                                    kiosk_id=f"report_choose.{target}",
                                    on_release=lambda _b, t=target: self._choose(t)))
        self.body.add_widget(grid)

    def _choose(self, form):
        self.core.report_begin()
        self.go("report_capture" if form == "pages" else "report_record")


class ReportCaptureScreen(KioskScreen):
    name = "report_capture"
    title_key = "ui.report_capture.title"
    prompt_key = "ui.report_capture.prompt"
    back_to = "report_choose"

    def build_body(self):
        row = BoxLayout(spacing=theme.SPACING * 2)
        self.preview = PagePreview(size_hint_x=0.55)
        side = BoxLayout(orientation="vertical", spacing=theme.SPACING)
        self.info = KLabel(tr_key=self.prompt_key, kiosk_id="report_capture.info")
        self.message = KLabel(tr_key="", kiosk_id="report_capture.message")
        side.add_widget(self.info)
        side.add_widget(self.message)
        row.add_widget(self.preview)
        row.add_widget(side)
        self.body.add_widget(row)
        self.shoot = KButton(tr_key="ui.report_capture.shoot", style="success", bold=True,
                             kiosk_id="report_capture.shoot", on_release=lambda *_: self._shoot())
        self.footer.add_widget(self.shoot)

    def reset(self):
        self.set_message(self.message)
        self.shoot.disabled = self.back_button.disabled = False

    def refresh(self):
        self.title_label.tr_kw = {"n": (call_safely(self.core.report_page_count) or 0) + 1}

    def on_enter(self, *args):
        super().on_enter(*args)
        self.preview.start(self.core.camera_frame)

    def on_leave(self, *_):
        self.preview.stop()

    def _shoot(self):
        self.shoot.disabled = self.back_button.disabled = True
        self.set_message(self.message, "ui.report_capture.working", kind="info")
        run_task(self.core.report_scan_page, self._scanned, self._failed, name="report-scan")

    def _scanned(self, image):
        self.manager.get_screen("report_preview").show_page(image)
        self.go("report_preview")

    def _failed(self, key, **params):
        self.shoot.disabled = self.back_button.disabled = False
        self.set_message(self.message, key, **params)
        self.app.speak(key, **params)


class ReportPreviewScreen(KioskScreen):
    name = "report_preview"
    title_key = "ui.report_preview.title"
    prompt_key = "ui.report_preview.prompt"
    back_to = None

    def build_body(self):
        row = BoxLayout(spacing=theme.SPACING * 2)
        frame = Panel(size_hint_x=0.5, bg=(0.12, 0.12, 0.14, 1))
        self.page = Image(fit_mode="contain")
        frame.add_widget(self.page)
        side = BoxLayout(orientation="vertical", spacing=theme.SPACING)
        self.info = KLabel(tr_key=self.prompt_key, kiosk_id="report_preview.info")
        self.message = KLabel(tr_key="", kiosk_id="report_preview.message")
        side.add_widget(self.info)
        side.add_widget(self.message)
        row.add_widget(frame)
        row.add_widget(side)
        self.body.add_widget(row)
        self.buttons = [
            KButton(tr_key="ui.report_preview.retake", style="secondary", kiosk_id="report_preview.retake",
                    on_release=lambda *_: self._retake()),
            KButton(tr_key="ui.report_preview.next", style="primary", kiosk_id="report_preview.next",
                    on_release=lambda *_: self._next()),
            KButton(tr_key="ui.report_preview.finish", style="success", bold=True,
                    kiosk_id="report_preview.finish", on_release=lambda *_: self._finish()),
        ]
        for button in self.buttons:
            self.footer.add_widget(button)

    def show_page(self, image):
        self.page.texture = grey_texture(image)

    def reset(self):
        self.set_message(self.message)
        self._enable(True)

    def refresh(self):
        self.title_label.tr_kw = {"n": (call_safely(self.core.report_page_count) or 0) + 1}

    def _enable(self, enabled):
        for button in self.buttons:
            button.disabled = not enabled

    def _retake(self):
        self.core.report_retake()
        self.go("report_capture")

    def _next(self):
        self._enable(False)
        run_task(self.core.report_keep_page, self._kept, self._failed, name="report-keep")

    def _kept(self, _count):
        self.go("report_capture")

    def _finish(self):
        self._enable(False)
        self.set_message(self.message, "ui.report_preview.sending", kind="info")
        run_task(self.core.report_submit_pages, self._sent, self._failed, name="report-submit")

    def _sent(self, count):
        self.manager.get_screen("report_done").show_result("ui.report_done.pages", n=count)
        self.go("report_done")

    def _failed(self, key, **params):
        self._enable(True)
        self.set_message(self.message, key, **params)
        self.app.speak(key, **params)


class ReportRecordScreen(KioskScreen):
    name = "report_record"
    title_key = "ui.report_record.title"
    prompt_key = "ui.report_record.prompt"
    back_to = "report_choose"

    def build_body(self):
        self.info = KLabel(tr_key=self.prompt_key, tr_kw={"s": int(MAX_AUDIO_SECONDS)},
                           kiosk_id="report_record.info")
        self.body.add_widget(self.info)
        self.start_button = KButton(tr_key="ui.report_record.start", style="primary", bold=True,
                                    kiosk_id="report_record.start", on_release=lambda *_: self._start())
        self.stop_button = KButton(tr_key="ui.report_record.stop", style="danger", bold=True,
                                   kiosk_id="report_record.stop",
                                   on_release=lambda *_: self.core.report_stop_recording())
        self.again_button = KButton(tr_key="ui.report_record.again", style="secondary",
                                    kiosk_id="report_record.again", on_release=lambda *_: self._start())
        self.submit_button = KButton(tr_key="ui.report_record.submit", style="success", bold=True,
                                     kiosk_id="report_record.submit", on_release=lambda *_: self._submit())

    def _show(self, *buttons, back=True):
        self.footer.clear_widgets()
        if back:
            self.back_button.disabled = False
            self.footer.add_widget(self.back_button)
        for button in buttons:
            button.disabled = False
            self.footer.add_widget(button)

    def _say(self, key, kind="info", **params):
        colours = {"error": theme.ERROR_TEXT, "success": theme.SUCCESS_TEXT, "info": theme.TEXT}
        self.info.color = colours[kind]
        self.info.tr_kw = params
        self.info.tr_key = key

    def reset(self):
        self.start_button.tr_key = "ui.report_record.start"
        self._say(self.prompt_key, s=int(MAX_AUDIO_SECONDS))
        self._show(self.start_button)

    def on_timeout(self):
        self.core.report_stop_recording()

    def on_leave(self, *_):
        self.core.report_stop_recording()

    def _start(self):
        self._say("ui.report_record.recording")
        self._show(self.stop_button, back=False)
        self.app.speak("ui.report_record.recording")
        run_task(self.core.report_record, self._recorded, self._failed, name="report-record")

    def _recorded(self, seconds):
        self._say("ui.report_record.recorded", kind="success", s=int(round(seconds)))
        self._show(self.again_button, self.submit_button)

    def _failed(self, key, **params):
        self._say(key, kind="error", **params)
        self.start_button.tr_key = "ui.report_record.again"
        self._show(self.start_button)
        self.app.speak(key, **params)

    def _submit(self):
        self._say("ui.report_record.sending")
        self._show(back=False)
        run_task(self.core.report_submit_audio, self._sent, self._failed, name="report-submit-audio")

    def _sent(self, seconds):
        self.manager.get_screen("report_done").show_result("ui.report_done.audio",
                                                          s=int(round(seconds)))
        self.go("report_done")


class ReportDoneScreen(KioskScreen):
    name = "report_done"
    title_key = "ui.report_done.title"
    back_to = None

    def build_body(self):
        self.info = KLabel(tr_key="", font_size=theme.FONT_TITLE, color=theme.SUCCESS_TEXT,
                           kiosk_id="report_done.info")
        self.body.add_widget(self.info)
        self.footer.add_widget(KButton(tr_key="ui.nav.home", style="primary", kiosk_id="nav.home",
                                       on_release=lambda *_: self.go("menu")))

    def show_result(self, key, **params):
        self.info.tr_kw = params
        self.info.tr_key = key

    def on_enter(self, *args):
        super().on_enter(*args)
        self.app.speak("ui.report_done.title")
