"""The call-staff overlay, opened from the top bar on any screen."""
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView

from screens import theme
from screens.tasks import run_task
from screens.widgets import KButton, KLabel, Panel


class CallStaffPopup(ModalView):
    """Records the call through the core, then tells the person help is coming."""

    def __init__(self, **kw):
        super().__init__(size_hint=(0.8, 0.66), auto_dismiss=False,
                         background_color=(0, 0, 0, 0.7), **kw)
        box = Panel(orientation="vertical", padding=theme.PAD * 2, spacing=theme.SPACING * 2,
                    bg=theme.CARD_BG)
        self.message = KLabel(tr_key="ui.call_staff.calling", font_size=theme.FONT_TITLE,
                              bold=True, kiosk_id="call_staff.message")
        row = BoxLayout(size_hint_y=None, height=theme.BIG_BUTTON_H)
        self.close_button = KButton(tr_key="ui.call_staff.close", style="primary",
                                    kiosk_id="call_staff.close", height=theme.BIG_BUTTON_H,
                                    on_release=lambda *_: self.dismiss())
        row.add_widget(self.close_button)
        box.add_widget(self.message)
        box.add_widget(row)
        self.add_widget(box)

    def call(self, core, screen_name: str) -> None:
        """Open the overlay and record the call in the background."""
        self.message.color = theme.TEXT
        self.message.tr_key = "ui.call_staff.calling"
        self.open()
        run_task(lambda: core.call_staff(screen_name), self._called, self._failed,
                 name="call-staff")

    def _called(self, _result):
        self.message.tr_key = "staff.called"  # the core also speaks it
        self.message.color = theme.SUCCESS_TEXT

    def _failed(self, key, **params):
        self.message.tr_kw = params
        self.message.tr_key = key
        self.message.color = theme.ERROR_TEXT
