"""Check-in (报到): one confirm button; success is shown only once the core has the record."""
from kivy.uix.boxlayout import BoxLayout

from screens import theme
from screens.base import KioskScreen
from screens.tasks import run_task
from screens.widgets import KButton, KLabel


class CheckinScreen(KioskScreen):
    name = "checkin"
    title_key = "ui.checkin.title"
    prompt_key = "ui.checkin.prompt"

    def build_body(self):
        self.info = KLabel(tr_key="ui.checkin.prompt", font_size=theme.FONT_TITLE,
                           kiosk_id="checkin.info")
        self.message = KLabel(tr_key="", kiosk_id="checkin.message")
        # the receipt's fate: printed, or not (the check-in stands either way)
        self.receipt_note = KLabel(tr_key="", kiosk_id="checkin.receipt", size_hint_y=None,
                                   height=0)
        self.confirm = KButton(tr_key="ui.checkin.confirm", style="success",
                               kiosk_id="checkin.confirm", height=theme.BIG_BUTTON_H,
                               font_size=theme.FONT_TITLE, bold=True,
                               on_release=lambda *_: self._check_in())
        self.row = BoxLayout(size_hint_y=None, height=theme.BIG_BUTTON_H,
                             padding=(theme.PAD * 4, 0))
        self.row.add_widget(self.confirm)
        for widget in (self.info, self.message, self.receipt_note, self.row):
            self.body.add_widget(widget)
        self.done_button = KButton(tr_key="ui.nav.home", style="primary", kiosk_id="nav.home",
                                   on_release=lambda *_: self.go("menu"))

    def reset(self):
        self.info.tr_kw = {}
        self.info.tr_key = "ui.checkin.prompt"
        self.info.color = theme.TEXT
        self.set_message(self.message)
        self.set_message(self.receipt_note)
        self.receipt_note.height = 0
        self.row.height = theme.BIG_BUTTON_H
        self.row.opacity = 1
        self.confirm.disabled = False
        self.back_button.disabled = False
        if self.done_button.parent:
            self.footer.remove_widget(self.done_button)

    def _check_in(self):
        self.confirm.disabled = True
        self.back_button.disabled = True
        self.set_message(self.message, "ui.checkin.working", kind="info")
        run_task(self.core.check_in, self._done, self._failed, name="check-in")

    def _done(self, receipt):
        self.row.opacity = 0
        self.confirm.disabled = False
        self.back_button.disabled = False
        self.info.color = theme.SUCCESS_TEXT
        self.info.tr_key = "ui.checkin.done"
        self.set_message(self.message, "ui.checkin.receipt", kind="info",
                         record_no=receipt.record_no, time=receipt.at.strftime("%Y-%m-%d %H:%M"))
        printed = getattr(receipt, "receipt", None)
        if printed is not None:
            self.row.height = 0  # the confirm button is gone: room for the receipt's line
            self.receipt_note.height = 130
            self.set_message(self.receipt_note, printed.message_key,
                             kind="info" if printed.printed else "error")
        self.footer.add_widget(self.done_button)
        self.app.speak("ui.checkin.done")
        if printed is not None:
            self.app.speak(printed.message_key)

    def _failed(self, key, **params):
        self.confirm.disabled = False
        self.back_button.disabled = False
        self.set_message(self.message, key, **params)
        self.app.speak(key, **params)
